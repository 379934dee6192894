import type { Json, PreferenceStore, Preferences } from "@agent-state/core";
import { type ReadPath, scopes } from "./read-path.js";

/** Preferences with `get` through the L1 and DAX; writes go through DAX when its client can write. */
export class DaxPreferences implements PreferenceStore {
  constructor(
    private readonly direct: PreferenceStore,
    private readonly viaDax: PreferenceStore,
    private readonly path: ReadPath,
  ) {}

  /** The live record from the L1, DAX or DynamoDB; this process's own writes show at once. */
  get(userId: string, agentId: string): Promise<Preferences | null> {
    return this.path.read({
      scopes: [scopes.preferences(userId, agentId)],
      l1Key: JSON.stringify(["preferences", userId, agentId]),
      viaDax: () => this.viaDax.get(userId, agentId),
      direct: () => this.direct.get(userId, agentId),
      expiresAtOf: (preferences) => preferences?.expiresAt ?? null,
    });
  }

  /** Replaces the values, through DAX when it can write (see `PreferenceStore.set`). */
  set(
    userId: string,
    agentId: string,
    values: Record<string, Json>,
    opts?: { ttlSeconds?: number },
  ): Promise<Preferences> {
    return this.path.write([scopes.preferences(userId, agentId)], () =>
      this.viaDax.set(userId, agentId, values, opts),
    );
  }

  /** Merges the changes, through DAX when it can write (see `PreferenceStore.patch`). */
  patch(
    userId: string,
    agentId: string,
    changes: Record<string, Json | undefined>,
    opts?: { ttlSeconds?: number },
  ): Promise<Preferences> {
    return this.path.write([scopes.preferences(userId, agentId)], () =>
      this.viaDax.patch(userId, agentId, changes, opts),
    );
  }

  /** Deletes, through DAX when it can write (see `PreferenceStore.delete`). */
  delete(userId: string, agentId: string): Promise<boolean> {
    return this.path.write([scopes.preferences(userId, agentId)], () => this.viaDax.delete(userId, agentId));
  }
}
