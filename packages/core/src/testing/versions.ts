import { describe, expect, it } from "vitest";
import { transact } from "../helpers.js";
import { codeOf, type StateStoreContractOptions, useStore } from "./harness.js";

/** Versioned updates: expectedVersion, conflicts carrying the stored version, the transact helper. */
export function describeVersionsContract(options: StateStoreContractOptions): void {
  describe("versions", () => {
    const t = useStore(options);

    it("each update adds exactly 1; a matching expectedVersion succeeds", async () => {
      const { sessionId } = await t.store.sessions.create();
      const v2 = await t.store.sessions.update(sessionId, { state: { n: 1 } }, { expectedVersion: 1 });
      expect(v2.version).toBe(2);
      const v3 = await t.store.sessions.update(sessionId, { state: { n: 2 } });
      expect(v3.version).toBe(3);
      const v4 = await t.store.sessions.update(sessionId, { state: { n: 3 } }, { expectedVersion: 3 });
      expect(v4.version).toBe(4);
    });

    it("a stale expectedVersion throws VERSION_CONFLICT with the stored version and changes nothing", async () => {
      const { sessionId } = await t.store.sessions.create({ state: { n: 0 } });
      await t.store.sessions.update(sessionId, { state: { n: 1 } });
      await t.store.sessions.update(sessionId, { state: { n: 2 } });
      const before = await t.store.sessions.get(sessionId);
      for (const expectedVersion of [1, 2, 4, 100]) {
        const error = await t.store.sessions
          .update(sessionId, { state: { n: 99 } }, { expectedVersion })
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(error).toMatchObject({ code: "VERSION_CONFLICT", actualVersion: 3 });
        expect(error).toBeInstanceOf(Error);
      }
      expect(await t.store.sessions.get(sessionId)).toEqual(before);
    });

    it("expectedVersion on a missing session throws NOT_FOUND", async () => {
      expect(await codeOf(t.store.sessions.update("none", {}, { expectedVersion: 1 }))).toBe("NOT_FOUND");
    });

    it("transact reads, applies and retries on conflict", async () => {
      const { sessionId } = await t.store.sessions.create({ state: { count: 0 } });
      const after = await transact(t.store, sessionId, (s) => ({
        state: { count: (s.state.count as number) + 1 },
      }));
      expect(after).toMatchObject({ version: 2, state: { count: 1 } });
      expect(await codeOf(transact(t.store, "absent", () => ({})))).toBe("NOT_FOUND");
    });
  });
}
