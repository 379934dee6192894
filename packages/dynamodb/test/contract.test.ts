import type { StateStore } from "@agent-state/core";
import { describeStateStoreContract } from "@agent-state/core/testing";
import { createLocalStore, type LocalStore } from "./local.js";

const open = new Map<StateStore, LocalStore>();

describeStateStoreContract("dynamodb", {
  async create({ clock }) {
    const local = await createLocalStore({ clock, region: "us-east-1" });
    open.set(local.store, local);
    return local.store;
  },
  async destroy(store) {
    await open.get(store)?.dispose();
    open.delete(store);
  },
});
