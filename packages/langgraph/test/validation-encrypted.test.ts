import { randomBytes, randomUUID } from "node:crypto";
import { localKeyring, withEncryption } from "@agent-state/encryption";
import { deltaChannelHistoryTests, validate } from "@langchain/langgraph-checkpoint-validation";
import { AgentStateSaver } from "../src/index.js";
import { type BackendData, backendData } from "./support/backends.js";
import { memoryInitializer } from "./support/memory-initializer.js";

// LangGraph's conformance suite with the saver on an encrypted store (@agent-state/encryption): checkpoints
// and writes are records whose values are stored as ciphertext bound to their scope and key.
const keyring = localKeyring({ keys: { k1: randomBytes(32) }, current: "k1" });

const onMemory = memoryInitializer("AgentStateSaver on encrypted memory", (store) =>
  withEncryption(store, { keyring }),
);
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
