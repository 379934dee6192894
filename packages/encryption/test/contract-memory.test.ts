import { describeStateStoreContract } from "@agent-state/core/testing";
import { MemoryStateStore } from "@agent-state/memory";
import { kmsKeyring, withEncryption } from "../src/index.js";
import { testKeyring } from "./support/keys.js";
import { KmsDouble } from "./support/kms-double.js";

describeStateStoreContract("encryption (memory)", {
  create: ({ clock }) => withEncryption(new MemoryStateStore({ clock }), { keyring: testKeyring() }),
});

// Migration mode without compression: every write still encrypts, and the maximum-size values go through at
// their full base64 size (the limit allowance carries them).
describeStateStoreContract("encryption (memory, migration mode, no compression)", {
  create: ({ clock }) =>
    withEncryption(new MemoryStateStore({ clock }), {
      keyring: testKeyring(),
      legacyPlaintext: "read",
      compress: false,
    }),
});

// The KMS keyring (real client, local KMS endpoint) under the whole suite.
const kms = new KmsDouble();
describeStateStoreContract("encryption (memory, KMS keyring)", {
  beforeAll: async () => {
    await kms.start();
  },
  create: ({ clock }) =>
    withEncryption(new MemoryStateStore({ clock }), {
      keyring: kmsKeyring({ keyId: "alias/contract", clientConfig: kms.clientConfig() }),
    }),
  afterAll: () => kms.stop(),
});
