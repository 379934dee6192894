import { describeStateStoreContract } from "@agent-state/core/testing";
import { MemoryStateStore } from "@agent-state/memory";
import { withEncryption } from "../src/index.js";
import { testKeyring } from "./support/keys.js";

describeStateStoreContract("encryption (memory)", {
  create: ({ clock }) => withEncryption(new MemoryStateStore({ clock }), { keyring: testKeyring() }),
});
