import { describeStateStoreContract } from "@agent-state/core/testing";
import { MemoryStateStore } from "@agent-state/memory";

describeStateStoreContract("memory", {
  create: ({ clock }) => new MemoryStateStore({ clock }),
});
