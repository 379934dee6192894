import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the double received, as sent on the wire. */
export interface KmsRequest {
  target: string;
  contentType: string;
  authorization: string;
  body: Record<string, unknown>;
  rawBody: string;
}

/**
 * A local stand-in for AWS KMS (the JSON 1.1 protocol the real SDK client speaks): GenerateDataKey and Decrypt
 * with real AES-256-GCM wrapping under a key per KMS key id, the encryption context bound in. It records every
 * request, and can refuse operations the way KMS does (AccessDeniedException). Not a KMS: no key policies, no
 * grants, no aliases resolution, no real ciphertext blob format.
 */
export class KmsDouble {
  readonly requests: KmsRequest[] = [];
  /** Operations answered with AccessDeniedException. */
  readonly denied = new Set<string>();
  private readonly masterKeys = new Map<string, Buffer>();
  private server: Server | null = null;
  endpoint = "";

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Client configuration for the real KMS client, pointed at the double. */
  clientConfig() {
    return {
      endpoint: this.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDLOCAL", secretAccessKey: "local" },
      maxAttempts: 1,
    };
  }

  count(operation: string): number {
    return this.requests.filter((r) => r.target === `TrentService.${operation}`).length;
  }

  private masterKey(keyId: string): Buffer {
    let key = this.masterKeys.get(keyId);
    if (key === undefined) {
      key = randomBytes(32);
      this.masterKeys.set(keyId, key);
    }
    return key;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString("utf8");
    const target = String(req.headers["x-amz-target"] ?? "");
    const body = JSON.parse(rawBody || "{}") as Record<string, unknown>;
    this.requests.push({
      target,
      contentType: String(req.headers["content-type"] ?? ""),
      authorization: String(req.headers.authorization ?? ""),
      body,
      rawBody,
    });
    const operation = target.replace(/^TrentService\./, "");
    if (this.denied.has(operation)) {
      return fail(
        res,
        "AccessDeniedException",
        `User: arn:aws:iam::000000000000:user/test is not authorized to perform: kms:${operation}`,
      );
    }
    const context = JSON.stringify(Object.entries((body.EncryptionContext as object) ?? {}).sort());
    if (operation === "GenerateDataKey") {
      const keyId = String(body.KeyId);
      const plaintext = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", this.masterKey(keyId), iv);
      cipher.setAAD(Buffer.from(context));
      const id = Buffer.from(keyId);
      const blob = Buffer.concat([
        Buffer.from([id.length]),
        id,
        iv,
        cipher.update(plaintext),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return send(res, {
        KeyId: keyId,
        Plaintext: plaintext.toString("base64"),
        CiphertextBlob: blob.toString("base64"),
      });
    }
    if (operation === "Decrypt") {
      const blob = Buffer.from(String(body.CiphertextBlob), "base64");
      const idLength = blob[0] ?? 0;
      const keyId = blob.subarray(1, 1 + idLength).toString();
      if (body.KeyId !== undefined && body.KeyId !== keyId) {
        return fail(
          res,
          "IncorrectKeyException",
          "The key ID in the request does not identify a CMK that can perform this operation.",
        );
      }
      try {
        const iv = blob.subarray(1 + idLength, 13 + idLength);
        const decipher = createDecipheriv("aes-256-gcm", this.masterKey(keyId), iv);
        decipher.setAAD(Buffer.from(context));
        decipher.setAuthTag(blob.subarray(blob.length - 16));
        const plaintext = Buffer.concat([
          decipher.update(blob.subarray(13 + idLength, blob.length - 16)),
          decipher.final(),
        ]);
        return send(res, {
          KeyId: keyId,
          Plaintext: plaintext.toString("base64"),
          EncryptionAlgorithm: "SYMMETRIC_DEFAULT",
        });
      } catch {
        return fail(res, "InvalidCiphertextException", "");
      }
    }
    return fail(res, "UnknownOperationException", "");
  }
}

function send(res: ServerResponse, body: object): void {
  res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
  res.end(JSON.stringify(body));
}

function fail(res: ServerResponse, type: string, message: string): void {
  res.writeHead(400, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": type });
  res.end(JSON.stringify({ __type: type, message }));
}
