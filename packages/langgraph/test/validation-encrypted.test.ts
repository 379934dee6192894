import { randomBytes, randomUUID } from "node:crypto";
import { localKeyring, withEncryption } from "@agent-state/encryption";
import { MemoryStateStore } from "@agent-state/memory";
import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";
import { AgentStateSaver } from "../src/index.js";
import { type BackendData, backendData } from "./support/backends.js";

// LangGraph's conformance suite with the saver on an encrypted store (@agent-state/encryption): checkpoints
// and writes are records whose values are stored as ciphertext bound to their scope and key.
const keyring = localKeyring({ keys: { k1: randomBytes(32) }, current: "k1" });

const stores = new Map<AgentStateSaver, MemoryStateStore>();
const onMemory = {
  checkpointerName: "AgentStateSaver on encrypted memory",
  createCheckpointer() {
    const store = new MemoryStateStore();
    const saver = new AgentStateSaver(withEncryption(store, { keyring }));
    stores.set(saver, store);
    return saver;
  },
  async destroyCheckpointer(saver: AgentStateSaver) {
    await stores.get(saver)?.close();
    stores.delete(saver);
  },
};
validate(onMemory);
deltaChannelHistoryTests(onMemory);

let shared: BackendData;
const onDynamo = {
  checkpointerName: "AgentStateSaver on encrypted DynamoDB Local",
  beforeAll: async () => {
    shared = await backendData("dynamodb");
  },
  beforeAllTimeout: 60_000,
  afterAll: () => shared?.dispose(),
  createCheckpointer: () =>
    new AgentStateSaver(withEncryption(shared.open(), { keyring }), { scopePrefix: `lg-${randomUUID()}:` }),
};
validate(onDynamo);
