import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { partitionItems, sharedLocalStore } from "./local.js";

/** Random text (does not compress below the inline limit): `bytes` long. */
const text = (bytes: number) => randomBytes(bytes).toString("base64url").slice(0, bytes);

describe("large session states on DynamoDB: chunks never leak", () => {
  const local = sharedLocalStore();

  async function stored(sessionId: string): Promise<{ chunks: string[]; meta: Record<string, unknown> }> {
    const items = await partitionItems(local, local.tables.sessions, `session#${sessionId}`);
    return {
      chunks: items.filter((item) => String(item.sk).startsWith("c#state")).map((item) => String(item.sk)),
      meta: items.find((item) => item.sk === "meta") ?? {},
    };
  }

  it("after racing conditional updates only the winner's chunks remain: the old state's and the losers' are gone", async () => {
    const { store } = local;
    const { sessionId } = await store.sessions.create({ state: { s: text(1024 * 1024) } });
    const before = await stored(sessionId);
    expect(before.chunks.length).toBeGreaterThan(1);
    const results = await Promise.allSettled(
      [1, 2, 3].map(() =>
        store.sessions.update(sessionId, { state: { s: text(900 * 1024) } }, { expectedVersion: 1 }),
      ),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const after = await stored(sessionId);
    expect(after.chunks).toHaveLength(Number(after.meta.vn));
    expect(after.chunks.every((sk) => sk.includes(String(after.meta.vid)))).toBe(true);
    expect(after.chunks.some((sk) => before.chunks.includes(sk))).toBe(false);
  });

  it("shrinking a state to under 4 KB stores it as text again and removes its chunks; a small update is 1 request", async () => {
    const { store, counter } = local;
    const { sessionId } = await store.sessions.create({ state: { s: text(800 * 1024) } });
    expect((await stored(sessionId)).chunks.length).toBeGreaterThan(0);
    const cost = await counter.measure(() => store.sessions.update(sessionId, { state: { small: true } }));
    const after = await stored(sessionId);
    expect(after.chunks).toEqual([]);
    expect(after.meta.state).toBe('{"small":true}');
    expect(after.meta.v === undefined && after.meta.vid === undefined).toBe(true);
    // The UpdateItem plus one BatchWriteItem deleting the replaced chunks, after the commit.
    expect(cost.byOperation).toEqual({ UpdateItem: 1, BatchWriteItem: 1 });
    const small = await counter.measure(() => store.sessions.update(sessionId, { state: { small: 2 } }));
    expect(small.byOperation).toEqual({ UpdateItem: 1 });
  });

  it("a preference record too large for one item is packed; patches rewrite it whole and leave only its own chunks", async () => {
    const { store, tables } = local;
    const items = () => partitionItems(local, tables.preferences, "pref-user");
    await store.preferences.set("pref-user", "agent", { small: 1 });
    await store.preferences.patch("pref-user", "agent", { big: text(900 * 1024) });
    await Promise.all(
      ["a", "b", "c"].map((k) => store.preferences.patch("pref-user", "agent", { [k]: text(50 * 1024) })),
    );
    const read = await store.preferences.get("pref-user", "agent");
    expect(Object.keys(read?.values ?? {}).sort()).toEqual(["a", "b", "big", "c", "small"]);
    expect(read?.version).toBe(5);
    const all = await items();
    const head = all.find((item) => item.sk === "agent") ?? {};
    const chunks = all.filter((item) => String(item.sk).startsWith("c#"));
    expect(head.values).toBeUndefined();
    expect(chunks).toHaveLength(Number(head.vn));
    expect(chunks.every((item) => String(item.sk).includes(String(head.vid)))).toBe(true);
    // Back under one item: a map again, chunks gone.
    await store.preferences.set("pref-user", "agent", { small: 2 });
    const after = await items();
    expect(after.map((item) => item.sk)).toEqual(["agent"]);
    expect(await store.preferences.delete("pref-user", "agent")).toBe(true);
  });
});
