import { describe, expect, it } from "vitest";
import { LIMITS } from "../limits.js";
import type { Message } from "../types.js";
import { codeOf, readAllPages, type StateStoreContractOptions, turns, useStore } from "./harness.js";

/** `append` with `replace`: remove the newest messages and append, in one atomic write. */
export function describeReplaceContract(options: StateStoreContractOptions): void {
  describe("append with replace", () => {
    const t = useStore(options);

    async function everything(sessionId: string): Promise<Message[]> {
      return (
        await readAllPages((cursor) =>
          t.store.sessions.messages(
            sessionId,
            cursor === undefined ? { limit: 100 } : { limit: 100, cursor },
          ),
        )
      ).items;
    }

    it("afterMessageId: the later messages are gone, the new ones follow, messageCount and expiry follow", async () => {
      const created = await t.store.sessions.create({ ttlSeconds: 100 });
      const { sessionId } = created;
      const all = await t.store.sessions.append(sessionId, turns(5));
      t.clock.advanceSeconds(30);
      const added = await t.store.sessions.append(sessionId, turns(2, "new"), {
        replace: { afterMessageId: all[1]!.id },
      });
      expect(added.map((m) => m.content)).toEqual(["new0", "new1"]);
      for (const gone of all.slice(2)) for (const m of added) expect(m.id > gone.id).toBe(true);
      expect(await everything(sessionId)).toEqual([...all.slice(0, 2), ...added]);
      const session = await t.store.sessions.get(sessionId, { recentMessages: 3 });
      expect(session).toMatchObject({
        messageCount: 4,
        version: 1,
        lastActiveAt: t.clock.now(),
        expiresAt: t.clock.now() + 100_000,
      });
      expect(session?.recentMessages).toEqual([all[1], ...added]);
      const desc = await t.store.sessions.messages(sessionId, { order: "desc" });
      expect(desc.items).toEqual([...all.slice(0, 2), ...added].reverse());
    });

    it("removeLast: the newest n go (all of them when there are fewer), then the append", async () => {
      const { sessionId } = await t.store.sessions.create();
      const all = await t.store.sessions.append(sessionId, turns(4));
      const [edited] = await t.store.sessions.append(
        sessionId,
        { role: "assistant", content: "regenerated" },
        { replace: { removeLast: 1 } },
      );
      expect(await everything(sessionId)).toEqual([...all.slice(0, 3), edited]);
      const fresh = await t.store.sessions.append(sessionId, turns(2, "summary"), {
        replace: { removeLast: 50 },
      });
      expect(await everything(sessionId)).toEqual(fresh);
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(2);
      const more = await t.store.sessions.append(sessionId, turns(1, "plain"), {
        replace: { removeLast: 0 },
      });
      expect(await everything(sessionId)).toEqual([...fresh, ...more]);
    });

    it("afterMessageId of the last message removes nothing; an empty session takes removeLast", async () => {
      const { sessionId } = await t.store.sessions.create();
      const first = await t.store.sessions.append(sessionId, turns(1, "a"), { replace: { removeLast: 3 } });
      const second = await t.store.sessions.append(sessionId, turns(1, "b"), {
        replace: { afterMessageId: first[0]!.id },
      });
      expect(await everything(sessionId)).toEqual([...first, ...second]);
    });

    it("an unknown or removed afterMessageId is VALIDATION and changes nothing", async () => {
      const { sessionId } = await t.store.sessions.create();
      const all = await t.store.sessions.append(sessionId, turns(3));
      await t.store.sessions.truncate(sessionId, { removeLast: 1 });
      for (const afterMessageId of [all[2]!.id, "no-such-message"]) {
        expect(
          await codeOf(t.store.sessions.append(sessionId, turns(1, "x"), { replace: { afterMessageId } })),
        ).toBe("VALIDATION");
      }
      expect(await everything(sessionId)).toEqual(all.slice(0, 2));
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(2);
    });

    it(`removed and appended count together against ${LIMITS.maxMessagesPerAppend}: past it, nothing changes`, async () => {
      const { sessionId } = await t.store.sessions.create();
      const all = [
        ...(await t.store.sessions.append(sessionId, turns(60, "a"))),
        ...(await t.store.sessions.append(sessionId, turns(60, "b"))),
      ];
      const limit = LIMITS.maxMessagesPerAppend;
      // removeLast is checked before anything is read; afterMessageId against what the session holds.
      expect(
        await codeOf(
          t.store.sessions.append(sessionId, turns(2, "x"), { replace: { removeLast: limit - 1 } }),
        ),
      ).toBe("VALIDATION");
      const keepTo = all.length - (limit - 1) - 1; // removes limit - 1 messages
      expect(
        await codeOf(
          t.store.sessions.append(sessionId, turns(2, "x"), { replace: { afterMessageId: all[keepTo]!.id } }),
        ),
      ).toBe("VALIDATION");
      expect(await everything(sessionId)).toEqual(all);
      const added = await t.store.sessions.append(sessionId, turns(1, "x"), {
        replace: { afterMessageId: all[keepTo]!.id },
      });
      expect(await everything(sessionId)).toEqual([...all.slice(0, keepTo + 1), ...added]);
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(keepTo + 2);
    });

    it("expectedLastMessageId is checked against the last message before the removal", async () => {
      const { sessionId } = await t.store.sessions.create();
      const all = await t.store.sessions.append(sessionId, turns(3));
      const conflict = await t.store.sessions
        .append(sessionId, turns(1, "x"), {
          replace: { removeLast: 1 },
          expectedLastMessageId: all[1]!.id,
        })
        .catch((e: unknown) => e);
      expect(conflict).toMatchObject({
        code: "VERSION_CONFLICT",
        expectedLastMessageId: all[1]!.id,
        actualLastMessageId: all[2]!.id,
      });
      expect(await everything(sessionId)).toEqual(all);
      const [edited] = await t.store.sessions.append(sessionId, turns(1, "x"), {
        replace: { removeLast: 1 },
        expectedLastMessageId: all[2]!.id,
      });
      expect(await everything(sessionId)).toEqual([...all.slice(0, 2), edited]);
    });

    it("with an idempotency key a retry removes nothing again and returns the first call's messages", async () => {
      const { sessionId } = await t.store.sessions.create();
      const all = await t.store.sessions.append(sessionId, turns(4));
      const opts = { idempotencyKey: "edit-1", replace: { afterMessageId: all[1]!.id } };
      const first = await t.store.sessions.append(sessionId, turns(2, "e"), opts);
      const later = await t.store.sessions.append(sessionId, turns(1, "later"));
      expect(await t.store.sessions.append(sessionId, turns(2, "e"), opts)).toEqual(first);
      expect(await everything(sessionId)).toEqual([...all.slice(0, 2), ...first, ...later]);
      // The key's first call included its replace: the same messages with another replace, or none, reuse it.
      for (const other of [{ replace: { removeLast: 1 } }, {}]) {
        expect(
          await codeOf(
            t.store.sessions.append(sessionId, turns(2, "e"), { idempotencyKey: "edit-1", ...other }),
          ),
        ).toBe("VALIDATION");
      }
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(5);
    });

    it("bad replace options are VALIDATION, named, and change nothing; a missing session is NOT_FOUND", async () => {
      const { sessionId } = await t.store.sessions.create();
      const all = await t.store.sessions.append(sessionId, turns(2));
      const bad: unknown[] = [
        null,
        "all",
        {},
        { removeLast: 1, afterMessageId: all[0]!.id },
        { removeLast: -1 },
        { removeLast: 1.5 },
        { removeLast: "1" },
        { afterMessageId: "" },
        { afterMessageId: 7 },
        { keep: 1 },
      ];
      for (const replace of bad) {
        const error = await t.store.sessions
          .append(sessionId, turns(1, "x"), { replace } as never)
          .catch((e: unknown) => e);
        expect(error, JSON.stringify(replace)).toMatchObject({ code: "VALIDATION" });
        expect((error as { field: string }).field, JSON.stringify(replace)).toMatch(/^replace/);
      }
      expect(await everything(sessionId)).toEqual(all);
      expect(await codeOf(t.store.sessions.append("missing", turns(1), { replace: { removeLast: 1 } }))).toBe(
        "NOT_FOUND",
      );
    });

    it("concurrent replaces after the same message: each is whole, the last one wins, nothing is half written", async () => {
      const { sessionId } = await t.store.sessions.create();
      const base = await t.store.sessions.append(sessionId, turns(3, "base"));
      const writers = Array.from({ length: 6 }, (_, i) =>
        t.store.sessions.append(sessionId, turns(3, `w${i}-`), { replace: { afterMessageId: base[2]!.id } }),
      );
      const results = await Promise.allSettled(writers);
      const winners = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      for (const r of results) {
        if (r.status === "rejected") expect(["THROTTLED", "VERSION_CONFLICT"]).toContain(r.reason?.code);
      }
      expect(winners.length).toBeGreaterThan(0);
      const stored = await everything(sessionId);
      expect(stored.slice(0, 3)).toEqual(base);
      const tail = stored.slice(3);
      expect(winners).toContainEqual(tail);
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(6);
    });

    it("concurrent replaces with the same expectedLastMessageId: exactly one goes through", async () => {
      const { sessionId } = await t.store.sessions.create();
      const base = await t.store.sessions.append(sessionId, turns(2, "base"));
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) =>
          t.store.sessions.append(sessionId, turns(1, `edit${i}-`), {
            replace: { removeLast: 1 },
            expectedLastMessageId: base[1]!.id,
          }),
        ),
      );
      const winners = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) if (r.status === "rejected") expect(r.reason?.code).toBe("VERSION_CONFLICT");
      expect(await everything(sessionId)).toEqual([base[0], ...winners[0]!]);
    });

    it("large messages are replaced whole: the removed ones stay gone, the new ones read back", async () => {
      const { sessionId } = await t.store.sessions.create();
      const big = (tag: string) => ({
        role: "tool" as const,
        content: `${tag}:${Array.from({ length: 200_000 }, (_, i) => ((i * 7919) % 1_000_003).toString(36)).join("")}`,
      });
      const [kept, removed] = await t.store.sessions.append(sessionId, [big("kept"), big("removed")]);
      const [replacement] = await t.store.sessions.append(sessionId, [big("replacement")], {
        replace: { afterMessageId: kept!.id },
      });
      expect(removed).toBeDefined();
      expect(await everything(sessionId)).toEqual([kept, replacement]);
      expect((await t.store.sessions.get(sessionId, { recentMessages: 1 }))?.recentMessages).toEqual([
        replacement,
      ]);
    });
  });
}
