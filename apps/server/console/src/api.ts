// The console talks to the admin API only, with the admin token as a bearer header. The token lives in
// sessionStorage (gone when the tab closes); never in the URL, a cookie or localStorage.

const TOKEN_KEY = "agent-state.adminToken";

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An answer of the admin API other than 2xx: `{ error: { code, message } }`, or what could be made of it. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the server refuses the token (401): the app shows the login form. */
let onUnauthorized: (error: ApiError) => void = () => {};
export function whenUnauthorized(handler: (error: ApiError) => void): void {
  onUnauthorized = handler;
}

export async function request<T>(
  method: "GET" | "PUT" | "POST" | "DELETE",
  path: string,
  body?: unknown,
  opts: { signingIn?: boolean } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  const token = getToken();
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: "omit",
      cache: "no-store",
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, "NETWORK", "The server cannot be reached.");
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const apiError = new ApiError(
      res.status,
      typeof error?.code === "string" ? error.code : `HTTP_${res.status}`,
      typeof error?.message === "string" ? error.message : `the server answered ${res.status}`,
    );
    if (res.status === 401 && !opts.signingIn) onUnauthorized(apiError);
    throw apiError;
  }
  return parsed as T;
}

/** Checks the stored token against the server (a 401 is the caller's to explain, not a signed-out session). */
export function checkToken(): Promise<unknown> {
  return request("GET", "/state/stats", undefined, { signingIn: true });
}

export const api = {
  get: <T>(path: string) => request<T>("GET", path),
  put: <T>(path: string, body: unknown) => request<T>("PUT", path, body),
  post: <T>(path: string, body: unknown) => request<T>("POST", path, body),
  del: <T>(path: string) => request<T>("DELETE", path),
};

/** An admin API path from segments (each percent-encoded) and query parameters (undefined ones left out). */
export function apiPath(segments: string[], query: Record<string, string | undefined | null> = {}): string {
  const path = `/state/${segments.map(encodeURIComponent).join("/")}`;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query))
    if (value !== undefined && value !== null) params.set(key, value);
  const q = params.toString();
  return q === "" ? path : `${path}?${q}`;
}

// Shapes of the admin API's answers (see /openapi.json).
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface Message {
  id: string;
  role: string;
  content: string;
  timestamp: number;
  metadata?: Record<string, Json>;
}

export interface Session {
  sessionId: string;
  userId: string | null;
  agentId: string | null;
  state: Record<string, Json>;
  version: number;
  messageCount: number;
  lastToolCall: string | null;
  lastActiveRegion: string | null;
  createdAt: number;
  lastActiveAt: number;
  expiresAt: number;
}

export interface Preferences {
  userId: string;
  agentId: string;
  values: Record<string, Json>;
  version: number;
  updatedAt: number;
  expiresAt: number;
}
