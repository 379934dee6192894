import { DynamoDBDocument } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DynamoWriter } from "../src/index.js";
import { createLocalStore, type LocalStore } from "./local.js";

/**
 * A writer shaped like the DAX SDK v3 client: it does not send `ReturnValuesOnConditionCheckFailure` on
 * single-item writes, and raises DynamoDB's errors as an Error with the exception name in `code` and
 * `cancellationReasons` (lower case).
 */
function daxLikeWriter(real: DynamoDBDocument): { writer: DynamoWriter; calls: string[] } {
  const calls: string[] = [];
  const daxShaped = (error: unknown): Error => {
    const e = error as { name: string; message: string; CancellationReasons?: unknown[] };
    return Object.assign(new Error(`${e.name}: ${e.message}`), {
      code: e.name,
      ...(e.CancellationReasons ? { cancellationReasons: e.CancellationReasons } : {}),
    });
  };
  const strip = <T extends { ReturnValuesOnConditionCheckFailure?: unknown }>(input: T): T => {
    const { ReturnValuesOnConditionCheckFailure: _dropped, ...rest } = input;
    return rest as T;
  };
  const call = async <T>(method: string, run: () => Promise<T>): Promise<T> => {
    calls.push(method);
    try {
      return await run();
    } catch (error) {
      throw daxShaped(error);
    }
  };
  const writer: DynamoWriter = {
    put: (input) => call("put", () => real.put(strip(input))),
    update: (input) => call("update", () => real.update(strip(input))),
    delete: (input) => call("delete", () => real.delete(strip(input))),
    transactWrite: (input) => call("transactWrite", () => real.transactWrite(input)),
    batchWrite: (input) => call("batchWrite", () => real.batchWrite(input)),
  };
  return { writer, calls };
}

describe("withClients: writes through another client (the seam for DAX writes)", () => {
  let local: LocalStore;
  beforeEach(async () => {
    local = await createLocalStore();
  });
  afterEach(async () => {
    await local.dispose();
  });

  it("sends every write to the writer and maps its failures exactly as the store's own", async () => {
    const { writer, calls } = daxLikeWriter(DynamoDBDocument.from(local.low));
    const view = local.store.withClients({ writer });
    const { sessionId } = await view.sessions.create({ userId: "u", state: { n: 0 } });
    await view.sessions.append(sessionId, { role: "user", content: "hi" });
    await view.sessions.update(sessionId, { state: { n: 1 } });
    await view.preferences.set("u", "a", { x: 1 });
    await view.toolCache.set("tool", {}, "v", { ttlSeconds: 60 });
    expect(calls).toEqual(["put", "transactWrite", "update", "update", "put", "batchWrite"]);

    // Failed conditions without the ALL_OLD item: the store reads the item back strongly and decides alike.
    await expect(view.sessions.create({ sessionId })).rejects.toMatchObject({ code: "ALREADY_EXISTS" });
    await expect(
      view.sessions.update(sessionId, { state: { n: 9 } }, { expectedVersion: 1 }),
    ).rejects.toMatchObject({ code: "VERSION_CONFLICT", expectedVersion: 1, actualVersion: 2 });
    await expect(view.sessions.update("missing", { state: {} })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(view.sessions.append("missing", { role: "user", content: "x" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(await view.toolCache.get("tool", {})).toMatchObject({ value: "v", hitCount: 1 });

    calls.length = 0;
    expect(await view.sessions.delete(sessionId)).toBe(true);
    expect(calls).toEqual(["delete", "batchWrite"]);
    expect(await local.store.sessions.get(sessionId)).toBeNull();
  });

  it("a writer function receives the store's own client (to fall back to it)", async () => {
    let given: DynamoWriter | undefined;
    const view = local.store.withClients({
      writer: (own) => {
        given = own;
        return own;
      },
    });
    const { sessionId } = await view.sessions.create({});
    expect(given).toBeDefined();
    expect(await local.store.sessions.get(sessionId)).toMatchObject({ version: 1 });
  });
});
