import {
  type CachedResult,
  canonicalJson,
  canonicalParams,
  expiresAtFrom,
  isExpired,
  type Json,
  parseToolCacheSet,
  type ResolvedCommonOptions,
  type ToolCache,
  validateToolName,
} from "@agent-state/core";

/** A cached result, its value kept as JSON text: parsing it is a cheaper copy-out than structuredClone. */
interface Entry {
  valueJson: string;
  hitCount: number;
  cachedAt: number;
  expiresAt: number;
}

/**
 * Tool results by tool name, then by the canonical JSON of the parameters (the hash the durable backends
 * need for their keys would only cost time here).
 */
export class MemoryToolCache implements ToolCache {
  private readonly tools = new Map<string, Map<string, Entry>>();

  constructor(private readonly options: ResolvedCommonOptions) {}

  async get<T extends Json>(toolName: string, params: Record<string, Json>): Promise<CachedResult<T> | null> {
    validateToolName(toolName);
    const key = canonicalParams(params);
    const entries = this.tools.get(toolName);
    const entry = entries?.get(key);
    if (!entries || !entry) return null;
    if (isExpired(entry.expiresAt, this.options.clock())) {
      this.drop(toolName, entries, key);
      return null;
    }
    entry.hitCount += 1;
    return {
      value: JSON.parse(entry.valueJson) as T,
      hitCount: entry.hitCount,
      cachedAt: entry.cachedAt,
      expiresAt: entry.expiresAt,
    };
  }

  async set<T extends Json>(
    toolName: string,
    params: Record<string, Json>,
    value: T,
    opts: { ttlSeconds: number },
  ): Promise<void> {
    const checked = parseToolCacheSet(toolName, params, value, opts);
    const key = canonicalJson(checked.params);
    const valueJson = JSON.stringify(checked.value);
    const ttlSeconds = checked.ttlSeconds;
    const now = this.options.clock();
    const entries = this.tools.get(checked.toolName) ?? new Map<string, Entry>();
    this.tools.set(checked.toolName, entries);
    entries.set(key, {
      valueJson,
      hitCount: 0,
      cachedAt: now,
      expiresAt: expiresAtFrom(now, ttlSeconds),
    });
  }

  async invalidate(toolName: string, params?: Record<string, Json>): Promise<void> {
    validateToolName(toolName);
    if (params === undefined) {
      this.tools.delete(toolName);
      return;
    }
    const key = canonicalParams(params);
    const entries = this.tools.get(toolName);
    if (entries) this.drop(toolName, entries, key);
  }

  countLive(now: number): number {
    let count = 0;
    for (const entries of this.tools.values()) {
      for (const entry of entries.values()) if (!isExpired(entry.expiresAt, now)) count++;
    }
    return count;
  }

  sweep(now: number): void {
    for (const [toolName, entries] of this.tools) {
      for (const [key, entry] of entries)
        if (isExpired(entry.expiresAt, now)) this.drop(toolName, entries, key);
    }
  }

  clear(): void {
    this.tools.clear();
  }

  private drop(toolName: string, entries: Map<string, Entry>, key: string): void {
    entries.delete(key);
    if (entries.size === 0) this.tools.delete(toolName);
  }
}
