import { isStateStoreError } from "@agent-state/core";
import { describe, expect, it } from "vitest";
import { ATTR, METRICS } from "../src/index.js";
import { BACKENDS } from "./support/backends.js";
import { useTelemetryStore } from "./support/fixture.js";
import { spanData } from "./support/otel.js";

const SYSTEMS = { memory: "memory", redis: "redis", dynamodb: "aws.dynamodb", dax: "aws.dynamodb" } as const;
const MARKER = "PRIVATE-MARKER-7f3a9c";

for (const backend of BACKENDS) {
  describe(`withTelemetry over ${backend}`, () => {
    const fx = useTelemetryStore(backend);

    it("one CLIENT span per call, named and attributed per the database conventions", async () => {
      const { sessionId } = await fx.store.sessions.create({ userId: "u1" });
      await fx.store.sessions.append(sessionId, [
        { role: "user", content: "hi" },
        { role: "assistant", content: "hello" },
      ]);
      await fx.store.sessions.get(sessionId, { recentMessages: 2 });
      const missing = await fx.store.sessions
        .append("no-such-session", { role: "user", content: "x" })
        .catch((e: unknown) => e);
      expect(isStateStoreError(missing, "NOT_FOUND")).toBe(true);

      const spans = (await fx.otel.spans()).map(spanData);
      const collection = fx.store.collections.sessions;
      expect(spans.map((s) => s.name)).toEqual([
        `sessions.create ${collection}`,
        `sessions.append ${collection}`,
        `sessions.get ${collection}`,
        `sessions.append ${collection}`,
      ]);
      for (const span of spans) {
        expect(span.kind).toBe(2); // SpanKind.CLIENT
        expect(span.attributes[ATTR.system]).toBe(SYSTEMS[backend]);
        expect(span.attributes[ATTR.collection]).toBe(collection);
      }
      expect(spans[0]?.attributes[ATTR.conversationId]).toBe(sessionId);
      expect(spans[1]?.attributes).toMatchObject({
        [ATTR.operation]: "sessions.append",
        [ATTR.conversationId]: sessionId,
        [ATTR.messageCount]: 2,
      });
      expect(spans[3]?.attributes).toMatchObject({
        [ATTR.errorType]: "NOT_FOUND",
        [ATTR.conversationId]: "no-such-session",
      });
      expect(spans[3]?.status).toEqual({ code: 2, message: "NOT_FOUND" });
    });

    it("message and record counts on the spans of messages, truncate and records get/range/write", async () => {
      const { sessionId } = await fx.store.sessions.create();
      await fx.store.sessions.append(sessionId, [
        { role: "user", content: "a" },
        { role: "assistant", content: "b" },
        { role: "user", content: "c" },
      ]);
      await fx.store.sessions.messages(sessionId);
      await fx.store.sessions.truncate(sessionId, { removeLast: 1 });
      await fx.store.records.write("thread", [
        { put: "k1", value: 1 },
        { put: "k2", value: 2 },
      ]);
      await fx.store.records.get("thread", ["k1", "k2", "k3"]);
      await fx.store.records.range("thread");

      const spans = (await fx.otel.spans()).map(spanData);
      const countOn = (operation: string, attribute: string) =>
        spans.find((s) => s.attributes[ATTR.operation] === operation)?.attributes[attribute];
      expect(countOn("sessions.messages", ATTR.messageCount)).toBe(3);
      expect(countOn("sessions.truncate", ATTR.messageCount)).toBe(1);
      expect(countOn("records.write", ATTR.recordCount)).toBe(2);
      expect(countOn("records.get", ATTR.recordCount)).toBe(3);
      expect(countOn("records.range", ATTR.recordCount)).toBe(2);
    });

    it("db.client.operation.duration per operation, tool-cache hits and misses, usage counts", async () => {
      await fx.store.toolCache.set("search", { q: "a" }, { n: 1 }, { ttlSeconds: 60 });
      await fx.store.toolCache.get("search", { q: "a" });
      await fx.store.toolCache.get("search", { q: "a" });
      await fx.store.toolCache.get("search", { q: "b" });
      await fx.store.preferences.patch("u", "agent", { theme: "dark" });
      await fx.store.records.write("thread", [{ put: "k", value: 1 }]);

      const setPoints = await fx.otel.histogram(METRICS.operationDuration, {
        [ATTR.operation]: "toolCache.set",
      });
      expect(setPoints.map((p) => p.value.count)).toEqual([1]);
      const getPoints = await fx.otel.histogram(METRICS.operationDuration, {
        [ATTR.operation]: "toolCache.get",
        [ATTR.system]: SYSTEMS[backend],
        [ATTR.collection]: fx.store.collections.toolCache,
      });
      expect(getPoints.map((p) => p.value.count)).toEqual([3]);
      expect(
        await fx.otel.histogram(METRICS.operationDuration, { [ATTR.operation]: "records.write" }),
      ).toHaveLength(1);
      expect(await fx.otel.counter(METRICS.toolCacheLookups, { [ATTR.cacheResult]: "hit" })).toBe(2);
      expect(await fx.otel.counter(METRICS.toolCacheLookups, { [ATTR.cacheResult]: "miss" })).toBe(1);
      const usage = fx.store.usage();
      expect(usage.toolCache).toEqual({ hits: 2, misses: 1 });
      expect(usage.calls).toMatchObject({
        "toolCache.get": 3,
        "toolCache.set": 1,
        "preferences.patch": 1,
        "records.write": 1,
      });
    });

    it(`no stored content in any span or metric (a marker written everywhere is found nowhere)`, async () => {
      const { sessionId } = await fx.store.sessions.create({ state: { secret: MARKER } });
      await fx.store.sessions.update(sessionId, { state: { secret: `${MARKER}-2` }, lastToolCall: MARKER });
      await fx.store.sessions.append(sessionId, {
        role: "user",
        content: MARKER,
        metadata: { note: MARKER },
      });
      await fx.store.sessions.get(sessionId, { recentMessages: 5 });
      await fx.store.sessions.messages(sessionId);
      await fx.store.toolCache.set("tool", { query: MARKER }, { answer: MARKER }, { ttlSeconds: 60 });
      await fx.store.toolCache.get("tool", { query: MARKER });
      await fx.store.preferences.set("u", "a", { note: MARKER });
      await fx.store.preferences.patch("u", "a", { other: MARKER });
      await fx.store.records.write("scope", [{ put: "key", value: { v: MARKER } }]);
      await fx.store.records.get("scope", ["key"]);
      await fx.store.records.range("scope");
      // A validation error whose input holds the marker: its message must not reach the span either.
      await fx.store.sessions
        .update(sessionId, { state: { bad: Number.NaN, m: MARKER } as never })
        .catch(() => undefined);
      await fx.store.stats();

      const spans = await fx.otel.spans();
      expect(spans.length).toBeGreaterThanOrEqual(13);
      const exported = JSON.stringify({ spans: spans.map(spanData), metrics: await fx.otel.metrics() });
      expect(exported).not.toContain("PRIVATE-MARKER");
      expect(exported).toContain("sessions.update");
    });
  });
}
