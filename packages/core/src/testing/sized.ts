import { randomBytes } from "node:crypto";

/** Text of `bytes` UTF-8 bytes that does not compress (random base64url, one byte per character). */
export function incompressible(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4))
    .toString("base64url")
    .slice(0, bytes);
}

/** `{"s":"…"}` whose JSON text is exactly `bytes` bytes (8 bytes of it are the braces, key and quotes). */
export function objectOfSize(bytes: number, text: (n: number) => string = incompressible): { s: string } {
  return { s: text(bytes - 8) };
}
