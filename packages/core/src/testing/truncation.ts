import { describe, expect, it } from "vitest";
import { LIMITS } from "../limits.js";
import type { Message } from "../types.js";
import { codeOf, readAllPages, type StateStoreContractOptions, turns, useStore } from "./harness.js";

/** `sessions.truncate` and the append options: `expectedLastMessageId` and `idempotencyKey`. */
export function describeTruncationContract(options: StateStoreContractOptions): void {
  describe("truncation", () => {
    const t = useStore(options);

    it("removeLast removes and returns the newest messages, oldest first; messageCount follows", async () => {
      const { sessionId } = await t.store.sessions.create();
      const all = await t.store.sessions.append(sessionId, turns(6));
      const removed = await t.store.sessions.truncate(sessionId, { removeLast: 2 });
      expect(removed).toEqual(all.slice(4));
      const session = await t.store.sessions.get(sessionId, { recentMessages: 10 });
      expect(session?.messageCount).toBe(4);
      expect(session?.recentMessages).toEqual(all.slice(0, 4));
      expect((await t.store.sessions.messages(sessionId)).items).toEqual(all.slice(0, 4));
      expect(await t.store.sessions.truncate(sessionId, { removeLast: 0 })).toEqual([]);
      expect(await t.store.sessions.truncate(sessionId, { removeLast: 10 })).toEqual(all.slice(0, 4));
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(0);
      expect(await t.store.sessions.truncate(sessionId, { removeLast: 1 })).toEqual([]);
    });

    it("afterMessageId removes every later message; the last id removes nothing", async () => {
      const { sessionId } = await t.store.sessions.create();
      const all = await t.store.sessions.append(sessionId, turns(5));
      expect(await t.store.sessions.truncate(sessionId, { afterMessageId: all[4]!.id })).toEqual([]);
      expect(await t.store.sessions.truncate(sessionId, { afterMessageId: all[1]!.id })).toEqual(
        all.slice(2),
      );
      expect((await t.store.sessions.messages(sessionId)).items).toEqual(all.slice(0, 2));
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(2);
    });

    it("an unknown or removed afterMessageId is rejected and removes nothing", async () => {
      const { sessionId } = await t.store.sessions.create();
      const all = await t.store.sessions.append(sessionId, turns(4));
      await t.store.sessions.truncate(sessionId, { removeLast: 1 });
      expect(await codeOf(t.store.sessions.truncate(sessionId, { afterMessageId: all[3]!.id }))).toBe(
        "VALIDATION",
      );
      expect(await codeOf(t.store.sessions.truncate(sessionId, { afterMessageId: "no-such-message" }))).toBe(
        "VALIDATION",
      );
      const [own] = await t.store.sessions.append(sessionId, turns(1, "late"));
      expect((await t.store.sessions.messages(sessionId)).items).toEqual([...all.slice(0, 3), own]);
    });

    it("ids appended after a truncate sort after every removed id, and are never reused", async () => {
      const { sessionId } = await t.store.sessions.create();
      const first = await t.store.sessions.append(sessionId, turns(3, "a"));
      const removed = await t.store.sessions.truncate(sessionId, { removeLast: 2 });
      const [next] = await t.store.sessions.append(sessionId, { role: "user", content: "again" });
      for (const gone of removed) expect(next!.id > gone.id).toBe(true);
      expect(removed.map((m) => m.id)).not.toContain(next!.id);
      const page = await t.store.sessions.messages(sessionId);
      expect(page.items).toEqual([first[0], next]);
      expect(page.items.map((m) => m.content)).toEqual(["a0", "again"]);
      await t.store.sessions.truncate(sessionId, { removeLast: 2 });
      const [third] = await t.store.sessions.append(sessionId, { role: "user", content: "third" });
      expect(third!.id > next!.id).toBe(true);
    });

    it("pagination stays exact across truncated gaps, in both orders", async () => {
      const { sessionId } = await t.store.sessions.create();
      const kept: Message[] = [];
      for (let round = 0; round < 4; round++) {
        const batch = await t.store.sessions.append(sessionId, turns(6, `r${round}-`));
        await t.store.sessions.truncate(sessionId, { removeLast: 2 });
        kept.push(...batch.slice(0, 4));
      }
      for (const limit of [1, 3, 5, 16, 100]) {
        const asc = await readAllPages((cursor) =>
          t.store.sessions.messages(sessionId, cursor === undefined ? { limit } : { limit, cursor }),
        );
        expect(asc.items).toEqual(kept);
        const desc = await readAllPages((cursor) =>
          t.store.sessions.messages(
            sessionId,
            cursor === undefined ? { limit, order: "desc" } : { limit, order: "desc", cursor },
          ),
        );
        expect(desc.items).toEqual([...kept].reverse());
      }
      expect((await t.store.sessions.get(sessionId, { recentMessages: 3 }))?.recentMessages).toEqual(
        kept.slice(-3),
      );
    });

    it("truncate slides expiry and keeps the version; on a missing or expired session it is NOT_FOUND", async () => {
      const created = await t.store.sessions.create({ ttlSeconds: 100 });
      await t.store.sessions.append(created.sessionId, turns(2));
      t.clock.advanceSeconds(60);
      await t.store.sessions.truncate(created.sessionId, { removeLast: 1 });
      expect(await t.store.sessions.get(created.sessionId)).toMatchObject({
        version: 1,
        messageCount: 1,
        lastActiveAt: t.clock.now(),
        expiresAt: t.clock.now() + 100_000,
      });
      expect(await codeOf(t.store.sessions.truncate("missing", { removeLast: 1 }))).toBe("NOT_FOUND");
      t.clock.advanceSeconds(100);
      expect(await codeOf(t.store.sessions.truncate(created.sessionId, { removeLast: 1 }))).toBe("NOT_FOUND");
    });

    it(`truncate removes at most ${LIMITS.maxMessagesPerTruncate} at once: past it, nothing is removed`, async () => {
      const { sessionId } = await t.store.sessions.create();
      const all: Message[] = [];
      for (let i = 0; i < 3; i++)
        all.push(...(await t.store.sessions.append(sessionId, turns(50, `c${i}-`))));
      expect(
        await codeOf(t.store.sessions.truncate(sessionId, { removeLast: LIMITS.maxMessagesPerTruncate + 1 })),
      ).toBe("VALIDATION");
      const tooMany = all.length - LIMITS.maxMessagesPerTruncate - 2;
      expect(await codeOf(t.store.sessions.truncate(sessionId, { afterMessageId: all[tooMany]!.id }))).toBe(
        "VALIDATION",
      );
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(150);
      const atLimit = all.length - LIMITS.maxMessagesPerTruncate - 1;
      const removed = await t.store.sessions.truncate(sessionId, { afterMessageId: all[atLimit]!.id });
      expect(removed).toEqual(all.slice(atLimit + 1));
      expect((await t.store.sessions.messages(sessionId, { limit: 1000 })).items).toEqual(
        all.slice(0, atLimit + 1),
      );
    });

    it("expectedLastMessageId: the append goes through only when the last message is the one expected", async () => {
      const { sessionId } = await t.store.sessions.create();
      expect(
        await codeOf(
          t.store.sessions.append(sessionId, { role: "user", content: "x" }, { expectedLastMessageId: "m1" }),
        ),
      ).toBe("VERSION_CONFLICT");
      const [a] = await t.store.sessions.append(
        sessionId,
        { role: "user", content: "a" },
        { expectedLastMessageId: null },
      );
      const conflict = await t.store.sessions
        .append(sessionId, { role: "user", content: "x" }, { expectedLastMessageId: null })
        .catch((e: unknown) => e);
      expect(conflict).toMatchObject({
        code: "VERSION_CONFLICT",
        sessionId,
        expectedLastMessageId: null,
        actualLastMessageId: a!.id,
      });
      const [b, c] = await t.store.sessions.append(sessionId, turns(2), { expectedLastMessageId: a!.id });
      expect(
        await codeOf(t.store.sessions.append(sessionId, turns(1), { expectedLastMessageId: a!.id })),
      ).toBe("VERSION_CONFLICT");
      await t.store.sessions.truncate(sessionId, { removeLast: 1 });
      expect(
        await codeOf(t.store.sessions.append(sessionId, turns(1), { expectedLastMessageId: c!.id })),
      ).toBe("VERSION_CONFLICT");
      await t.store.sessions.append(sessionId, turns(1, "after-b"), { expectedLastMessageId: b!.id });
      const items = (await t.store.sessions.messages(sessionId)).items.map((m) => m.content);
      expect(items).toEqual(["a", "t0", "after-b0"]);
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(3);
    });

    it("an idempotent append retried returns the first call's messages and writes nothing", async () => {
      const { sessionId } = await t.store.sessions.create();
      const first = await t.store.sessions.append(sessionId, turns(3), { idempotencyKey: "turn-1" });
      t.clock.advance(1_000);
      const retry = await t.store.sessions.append(sessionId, turns(3), { idempotencyKey: "turn-1" });
      expect(retry).toEqual(first);
      const session = await t.store.sessions.get(sessionId);
      expect(session?.messageCount).toBe(3);
      expect((await t.store.sessions.messages(sessionId)).items).toEqual(first);
      const second = await t.store.sessions.append(sessionId, turns(3), { idempotencyKey: "turn-2" });
      expect(second.map((m) => m.id)).not.toEqual(first.map((m) => m.id));
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(6);
    });

    it("the idempotency key is checked before the precondition, so a retry after success succeeds", async () => {
      const { sessionId } = await t.store.sessions.create();
      const opts = { idempotencyKey: "k", expectedLastMessageId: null };
      const first = await t.store.sessions.append(sessionId, turns(2), opts);
      expect(await t.store.sessions.append(sessionId, turns(2), opts)).toEqual(first);
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(2);
    });

    it("an idempotency key reused for other messages is rejected; keys are per session", async () => {
      const a = await t.store.sessions.create();
      const b = await t.store.sessions.create();
      await t.store.sessions.append(a.sessionId, turns(1), { idempotencyKey: "same" });
      expect(
        await codeOf(t.store.sessions.append(a.sessionId, turns(1, "other"), { idempotencyKey: "same" })),
      ).toBe("VALIDATION");
      const inB = await t.store.sessions.append(b.sessionId, turns(1), { idempotencyKey: "same" });
      expect(inB).toHaveLength(1);
      expect((await t.store.sessions.get(a.sessionId))?.messageCount).toBe(1);
      expect((await t.store.sessions.get(b.sessionId))?.messageCount).toBe(1);
    });

    it("a retried append whose messages were truncated since returns the ones that remain", async () => {
      const { sessionId } = await t.store.sessions.create();
      const first = await t.store.sessions.append(sessionId, turns(3), { idempotencyKey: "t" });
      await t.store.sessions.truncate(sessionId, { removeLast: 1 });
      expect(await t.store.sessions.append(sessionId, turns(3), { idempotencyKey: "t" })).toEqual(
        first.slice(0, 2),
      );
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(2);
    });

    it("idempotency keys die with their session: a reused session id starts with none", async () => {
      await t.store.sessions.create({ sessionId: "idem-reuse", ttlSeconds: 10 });
      await t.store.sessions.append("idem-reuse", turns(2), { idempotencyKey: "k" });
      await t.store.sessions.delete("idem-reuse");
      await t.store.sessions.create({ sessionId: "idem-reuse", ttlSeconds: 10 });
      const fresh = await t.store.sessions.append("idem-reuse", turns(2), { idempotencyKey: "k" });
      expect((await t.store.sessions.messages("idem-reuse")).items).toEqual(fresh);
      t.clock.advanceSeconds(10);
      await t.store.sessions.create({ sessionId: "idem-reuse" });
      await t.store.sessions.append("idem-reuse", turns(1, "other"), { idempotencyKey: "k" });
      expect((await t.store.sessions.get("idem-reuse"))?.messageCount).toBe(1);
    });

    it(`one append holds up to ${LIMITS.maxMessagesPerAppend} messages, with an idempotency key`, async () => {
      const { sessionId } = await t.store.sessions.create();
      const many = await t.store.sessions.append(sessionId, turns(LIMITS.maxMessagesPerAppend), {
        idempotencyKey: "big",
        expectedLastMessageId: null,
      });
      expect(many).toHaveLength(LIMITS.maxMessagesPerAppend);
      expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(LIMITS.maxMessagesPerAppend);
      expect(
        await t.store.sessions.append(sessionId, turns(LIMITS.maxMessagesPerAppend), {
          idempotencyKey: "big",
        }),
      ).toEqual(many);
    });
  });
}
