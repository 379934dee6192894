import { createTables, DynamoStateStore } from "@agent-state/dynamodb";
import { localClientConfig, uniqueTableNames } from "@agent-state/dynamodb/testing";
import { startDynamoDbLocal } from "@agent-state/dynamodb-local";
import { AgentStateSaver } from "@agent-state/langgraph";
import { uuid6 } from "@langchain/langgraph-checkpoint";
import { localClients } from "../packages/dynamodb/test/support/raw-records.js";
import { startDelayProxy } from "./support.js";
const server = await startDynamoDbLocal();
const proxy = await startDelayProxy({ host: "127.0.0.1", port: server.port });
const { low, doc } = localClients(`http://127.0.0.1:${proxy.port}`);
let t0 = 0;
low.middlewareStack.add((next, ctx) => async (args) => {
  const s = performance.now() - t0;
  const r = await next(args);
  console.log(`  ${(ctx as any).commandName} ${s.toFixed(1)} → ${(performance.now() - t0).toFixed(1)}`);
  return r;
}, { step: "initialize" });
const tables = uniqueTableNames("tr");
await createTables(low, tables);
const store = new DynamoStateStore({ client: doc, tables });
const saver = new AgentStateSaver(store);
let config: any = { configurable: { thread_id: "t", checkpoint_ns: "" } };
proxy.delayMs = 10;
for (let n = 0; n < 4; n++) {
  t0 = performance.now();
  if (n > 0) await saver.putWrites(config, [["messages", [`reply ${n}`]]], `task-${n}`);
  console.log(`putWrites done ${(performance.now() - t0).toFixed(1)}`);
  const versions = n === 0 ? { messages: 1, step: 1, context: 1 } : { messages: n + 1, step: n + 1 };
  config = await saver.put(config, { v: 4, id: uuid6(-1), ts: new Date().toISOString(), channel_values: { messages: [`m ${n}`], step: n, context: "c".repeat(4096) }, channel_versions: { messages: n + 1, step: n + 1, context: 1 }, versions_seen: {} }, { source: "loop", step: n, parents: {} }, versions);
  console.log(`put done ${(performance.now() - t0).toFixed(1)}`);
  t0 = performance.now();
  await saver.getTuple({ configurable: { thread_id: "t", checkpoint_ns: "" } });
  console.log(`getTuple done ${(performance.now() - t0).toFixed(1)}`);
}
await store.close(); low.destroy(); await proxy.close(); await server.stop();
