import {
  type CachedResult,
  hashParams,
  type Json,
  type ToolCache,
  validateJson,
  validateJsonObject,
  validateToolName,
  withLimitAllowance,
} from "@agent-state/core";
import type { ValueCrypto } from "./value-crypto.js";

/** Tool results stored as ciphertext text bound to the tool name and the parameters' canonical hash. */
export class EncryptedToolCache implements ToolCache {
  constructor(
    private readonly inner: ToolCache,
    private readonly crypto: ValueCrypto,
  ) {}

  async get<T extends Json>(toolName: string, params: Record<string, Json>): Promise<CachedResult<T> | null> {
    const tool = validateToolName(toolName);
    const validParams = validateJsonObject("params", params);
    const entry = await this.inner.get<Json>(tool, validParams);
    if (entry === null) return null;
    const what = `cached result of tool ${JSON.stringify(tool)}`;
    const value = await this.crypto.openJson(what, cacheContext(tool, validParams), entry.value);
    return { ...entry, value: value as T };
  }

  async set<T extends Json>(
    toolName: string,
    params: Record<string, Json>,
    value: T,
    opts: { ttlSeconds: number },
  ): Promise<void> {
    const tool = validateToolName(toolName);
    const validParams = validateJsonObject("params", params);
    const validValue = validateJson("value", value);
    const key = await this.crypto.newKey();
    const sealed = this.crypto.sealJson(key, cacheContext(tool, validParams), validValue);
    const extraBytes = Math.max(0, sealed.length + 2 - Buffer.byteLength(JSON.stringify(validValue)));
    await withLimitAllowance(extraBytes, () => this.inner.set(tool, validParams, sealed, opts));
  }

  invalidate(toolName: string, params?: Record<string, Json>): Promise<void> {
    return this.inner.invalidate(toolName, params);
  }
}

function cacheContext(tool: string, params: Record<string, Json>): string[] {
  return ["tool-cache", tool, hashParams(params)];
}
