import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../limits.js";
import { codeOf, SLOW_TEST_TIMEOUT_MS, type StateStoreContractOptions, useStore } from "./harness.js";
import { incompressible } from "./sized.js";

const MiB = 1024 * 1024;

/**
 * Values up to the documented maximum (`LIMITS.maxRecordValueBytes`, `LIMITS.maxMessageBytes`) work on
 * every backend, compressible or not; one byte more throws ITEM_TOO_LARGE and writes nothing.
 */
export function describeLargeValuesContract(options: StateStoreContractOptions): void {
  describe("large values", () => {
    const t = useStore(options);

    it(
      "a 2 MB record (JSON and bytes) round-trips through get and range, and can be replaced and deleted",
      async () => {
        const text = incompressible(2 * MiB);
        const bytes = new Uint8Array(randomBytes(2 * MiB));
        await t.store.records.write("large", [
          { put: "json", value: { text, n: 1 } },
          { put: "bytes", value: bytes },
          { put: "small", value: "s" },
        ]);
        const [json, storedBytes] = await t.store.records.get("large", ["json", "bytes"]);
        expect((json!.value as { text: string }).text === text).toBe(true);
        expect(Buffer.from(storedBytes!.value as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
        const page = await t.store.records.range("large");
        expect(page.items.map((r) => r.key)).toEqual(["bytes", "json", "small"]);
        expect((page.items[1]!.value as { text: string }).text === text).toBe(true);
        const [replaced] = await t.store.records.write("large", [
          { put: "json", value: "now small", ifVersion: 1 },
        ]);
        expect(replaced?.version).toBe(2);
        expect((await t.store.records.get("large", ["json"]))[0]?.value).toBe("now small");
        await t.store.records.write("large", [{ delete: "bytes" }]);
        expect((await t.store.records.range("large")).items.map((r) => r.key)).toEqual(["json", "small"]);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "records at the maximum size round-trip; one byte more is ITEM_TOO_LARGE with nothing written",
      async () => {
        const max = LIMITS.maxRecordValueBytes;
        const bytes = new Uint8Array(randomBytes(max));
        const compressible = "a".repeat(max - 2); // its JSON is exactly the maximum
        await t.store.records.write("max", [{ put: "bytes", value: bytes }], { atomic: true });
        await t.store.records.write("max", [{ put: "text", value: compressible }]);
        const [storedBytes, storedText] = await t.store.records.get("max", ["bytes", "text"]);
        expect(Buffer.from(storedBytes!.value as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
        expect(storedText?.value === compressible).toBe(true);
        const over = new Uint8Array(max + 1);
        expect(await codeOf(t.store.records.write("max", [{ put: "over", value: over }]))).toBe(
          "ITEM_TOO_LARGE",
        );
        expect(
          await codeOf(
            t.store.records.write("max", [
              { put: "fine", value: 1 },
              { put: "over", value: "a".repeat(max - 1) },
            ]),
          ),
        ).toBe("ITEM_TOO_LARGE");
        expect(await t.store.records.get("max", ["over", "fine"])).toEqual([null, null]);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "an atomic batch of several large values commits all or nothing",
      async () => {
        const values = [1, 2, 3].map(() => incompressible(1.5 * MiB));
        await t.store.records.write("large-batch", [{ put: "guard", value: 1 }]);
        const failed = await codeOf(
          t.store.records.write(
            "large-batch",
            [
              ...values.map((value, i) => ({ put: `v${i}`, value })),
              { put: "guard", value: 2, ifVersion: 0 },
            ],
            { atomic: true },
          ),
        );
        expect(failed).toBe("VERSION_CONFLICT");
        expect(await t.store.records.range("large-batch")).toMatchObject({ items: [{ key: "guard" }] });
        await t.store.records.write(
          "large-batch",
          values.map((value, i) => ({ put: `v${i}`, value })),
          { atomic: true },
        );
        const stored = await t.store.records.get("large-batch", ["v0", "v1", "v2"]);
        expect(stored.map((r, i) => r?.value === values[i])).toEqual([true, true, true]);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "a 2 MB message and a maximum-size message round-trip; one byte more is ITEM_TOO_LARGE",
      async () => {
        const { sessionId } = await t.store.sessions.create();
        const twoMb = incompressible(2 * MiB);
        const metadata = { blob: incompressible(100 * 1024) };
        const [, big] = await t.store.sessions.append(sessionId, [
          { role: "user", content: "before" },
          { role: "tool", content: twoMb, metadata },
        ]);
        const maxContent = "z".repeat(LIMITS.maxMessageBytes);
        await t.store.sessions.append(sessionId, { role: "assistant", content: maxContent });
        const page = await t.store.sessions.messages(sessionId);
        expect(page.items.map((m) => m.content.length)).toEqual([6, 2 * MiB, LIMITS.maxMessageBytes]);
        expect(page.items[1]?.content === twoMb).toBe(true);
        expect(page.items[1]?.metadata).toEqual(metadata);
        expect(page.items[1]).toEqual(big);
        const recent = await t.store.sessions.get(sessionId, { recentMessages: 2 });
        expect(recent?.recentMessages?.[0]?.content === twoMb).toBe(true);
        expect(
          await codeOf(
            t.store.sessions.append(sessionId, [
              { role: "user", content: "ok" },
              { role: "user", content: `${maxContent}z` },
            ]),
          ),
        ).toBe("ITEM_TOO_LARGE");
        expect((await t.store.sessions.get(sessionId))?.messageCount).toBe(3);
        const removed = await t.store.sessions.truncate(sessionId, { removeLast: 2 });
        expect(removed[0]?.content === twoMb).toBe(true);
        expect((await t.store.sessions.messages(sessionId)).items.map((m) => m.content)).toEqual(["before"]);
      },
      SLOW_TEST_TIMEOUT_MS,
    );

    it(
      "large messages die with their session: a reused id starts empty",
      async () => {
        await t.store.sessions.create({ sessionId: "large-reuse" });
        await t.store.sessions.append("large-reuse", { role: "user", content: incompressible(1 * MiB) });
        await t.store.sessions.delete("large-reuse");
        await t.store.sessions.create({ sessionId: "large-reuse" });
        expect((await t.store.sessions.messages("large-reuse")).items).toEqual([]);
      },
      SLOW_TEST_TIMEOUT_MS,
    );
  });
}
