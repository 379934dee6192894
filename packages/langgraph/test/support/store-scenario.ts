import type { StateStore } from "@agent-state/core";
import { type BaseStore, InMemoryStore, type Item } from "@langchain/langgraph-checkpoint";
import { describe, expect, it } from "vitest";
import { AgentStateStore } from "../../src/index.js";

const sortNs = (list: string[][]) => list.map((ns) => ns.join("|")).sort();
const keysOf = (items: { namespace: string[]; key: string }[]) =>
  items.map((i) => `${i.namespace.join("|")}/${i.key}`).sort();

/** AgentStateStore answers like LangGraph's InMemoryStore (order aside), on a backend's records. */
export function describeStoreScenario(
  name: string,
  open: () => Promise<{ store: StateStore; dispose(): Promise<void> }>,
) {
  describe(`${name}: AgentStateStore`, () => {
    async function both(
      fn: (store: BaseStore) => Promise<void>,
    ): Promise<[AgentStateStore, InMemoryStore, () => Promise<void>]> {
      const { store, dispose } = await open();
      const ours = new AgentStateStore(store);
      const oracle = new InMemoryStore();
      await fn(ours);
      await fn(oracle);
      return [ours, oracle, dispose];
    }
    const seed = async (s: BaseStore) => {
      await s.put(["users", "ada", "memories"], "m1", { text: "likes tea", score: 3, tags: ["a"] });
      await s.put(["users", "ada", "memories"], "m2", { text: "lives in london", score: 7 });
      await s.put(["users", "ada", "prefs"], "units", { value: "metric" });
      await s.put(["users", "bob", "memories"], "m1", { text: "likes/slashes", score: 5 });
      await s.put(["users", "bob"], "profile", { name: "Bob" });
      await s.put(["users", "0day"], "x", { score: 1 });
      await s.put(["docs"], "readme", { text: "hello" });
      await s.put(["users", "ada", "memories"], "m2", { text: "lives in paris", score: 8 });
      await s.put(["docs"], "tmp", { text: "gone" });
      await s.delete(["docs"], "tmp");
    };

    it("get, put, delete, search and listNamespaces agree with InMemoryStore", async () => {
      const [ours, oracle, dispose] = await both(seed);
      try {
        const got = await ours.get(["users", "ada", "memories"], "m2");
        expect(got?.value).toEqual({ text: "lives in paris", score: 8 });
        expect(got && got.createdAt.getTime() <= got.updatedAt.getTime()).toBe(true);
        expect(await ours.get(["docs"], "tmp")).toBeNull();

        for (const [prefix, options] of [
          [[], { limit: 100 }],
          [["users"], { limit: 100 }],
          [["users", "ada"], { limit: 100 }],
          [["users"], { limit: 100, filter: { score: { $gte: 5 } } }],
          [["users"], { limit: 100, filter: { text: "likes tea" } }],
          [["users"], { limit: 100, filter: { score: { $in: [1, 5] } } }],
          [["nobody"], { limit: 100 }],
        ] as const) {
          const a = await ours.search([...prefix], { ...options });
          const b = await oracle.search([...prefix], { ...options });
          expect(keysOf(a), JSON.stringify([prefix, options])).toEqual(keysOf(b));
        }
        // Unlike InMemoryStore (===), a filter compares arrays and objects by value.
        expect(keysOf(await ours.search(["users"], { filter: { tags: ["a"] } }))).toEqual([
          "users|ada|memories/m1",
        ]);
        const page1 = await ours.search(["users"], { limit: 2 });
        const page2 = await ours.search(["users"], { limit: 2, offset: 2 });
        const rest = await ours.search(["users"], { limit: 10, offset: 4 });
        expect(page1.length + page2.length + rest.length).toBe(6);
        expect(new Set(keysOf([...page1, ...page2, ...rest])).size).toBe(6);

        for (const options of [
          {},
          { prefix: ["users"] },
          { prefix: ["users", "ada"] },
          { suffix: ["memories"] },
          { prefix: ["users", "*", "memories"] },
          { maxDepth: 2 },
          { prefix: ["users"], maxDepth: 2 },
          { maxDepth: 1 },
        ]) {
          expect(sortNs(await ours.listNamespaces(options)), JSON.stringify(options)).toEqual(
            sortNs(await oracle.listNamespaces(options)),
          );
        }
        expect((await ours.listNamespaces({ limit: 2 })).length).toBe(2);
        expect((await ours.listNamespaces({ limit: 10, offset: 3 })).length).toBe(
          (await oracle.listNamespaces({ limit: 10, offset: 3 })).length,
        );
      } finally {
        await dispose();
      }
    });

    it("a batch's reads see the state before its puts", async () => {
      const { store, dispose } = await open();
      try {
        const ours = new AgentStateStore(store);
        await ours.put(["a"], "k", { n: 1 });
        const [before, , after] = (await ours.batch([
          { namespace: ["a"], key: "k" },
          { namespace: ["a"], key: "k", value: { n: 2 } },
          { namespacePrefix: ["a"], limit: 10, offset: 0 },
        ])) as unknown as [Item | null, undefined, Item[]];
        expect(before?.value).toEqual({ n: 1 });
        expect(after.map((i) => i.value)).toEqual([{ n: 1 }]);
        expect((await ours.get(["a"], "k"))?.value).toEqual({ n: 2 });
      } finally {
        await dispose();
      }
    });
  });
}
