// A Web Push service for tests: a local HTTP endpoint that checks each push's VAPID token and decrypts its payload
// with the subscription's private keys (RFC 8291 aes128gcm), the way a browser's push service and browser would.

import { createECDH, type ECDH, randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as ece from "http_ece";
import { decodeProtectedHeader, importJWK, type JWTPayload, jwtVerify } from "jose";

export interface TestSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

export interface ReceivedPush {
  /** The subscription's id (the last path segment of its endpoint). */
  id: string;
  headers: IncomingHttpHeaders;
  /** Verified VAPID token claims (aud, exp, sub). */
  claims: JWTPayload;
  /** The VAPID public key the token was verified with (the `k=` of the Authorization header). */
  vapidKey: string;
  /** The decrypted payload, parsed as JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read the payload field by field.
  payload: any;
  /** Status this endpoint answered. */
  status: number;
}

interface Device {
  ecdh: ECDH;
  auth: Buffer;
  /** Statuses to answer, in order; 201 once they are used up. */
  script: number[];
}

/** Also the subscriptions a browser test hands to the page through a stubbed PushManager. */
export class TestPushService {
  readonly received: ReceivedPush[] = [];
  /** Requests that failed the checks (bad token, undecryptable body): a test expects none. */
  readonly rejected: { id: string; reason: string }[] = [];
  private readonly devices = new Map<string, Device>();
  private waiters: (() => void)[] = [];
  private server!: Server;
  origin = "";

  static async start(): Promise<TestPushService> {
    const service = new TestPushService();
    service.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        void service.handle(req.url ?? "", req.method ?? "", req.headers, Buffer.concat(chunks)).then((status) => {
          res.writeHead(status).end();
        });
      });
    });
    await new Promise<void>((resolve) => service.server.listen(0, "127.0.0.1", resolve));
    service.origin = `http://127.0.0.1:${(service.server.address() as AddressInfo).port}`;
    return service;
  }

  /** A new device: its endpoint on this service and the keys a browser would generate. */
  subscription(script: number[] = []): TestSubscription {
    const id = randomBytes(8).toString("hex");
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const auth = randomBytes(16);
    this.devices.set(id, { ecdh, auth, script: [...script] });
    return {
      endpoint: `${this.origin}/push/${id}`,
      keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: auth.toString("base64url") },
    };
  }

  /** Answers the next pushes to this endpoint with these statuses (e.g. [500] then the default 201, or [410]). */
  script(endpoint: string, statuses: number[]): void {
    this.devices.get(idOf(endpoint))!.script.push(...statuses);
  }

  /** Pushes received (and accepted with 2xx) for the endpoint. */
  delivered(endpoint: string): ReceivedPush[] {
    const id = idOf(endpoint);
    return this.received.filter((r) => r.id === id && r.status < 300);
  }

  /** Waits until `predicate` holds over what was received; rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 10_000, what = "push"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.summary())}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  summary(): unknown[] {
    return this.received.map((r) => ({ id: r.id, status: r.status, payload: r.payload }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(url: string, method: string, headers: IncomingHttpHeaders, body: Buffer): Promise<number> {
    const id = url.replace(/^\/push\//, "");
    const device = this.devices.get(id);
    if (method !== "POST" || !device) return 404;
    try {
      const { claims, key } = await this.verifyVapid(headers);
      if (headers["content-encoding"] !== "aes128gcm") throw new Error(`content-encoding ${headers["content-encoding"]}`);
      if (!headers["ttl"]) throw new Error("no TTL header");
      const plain = ece.decrypt(body, { version: "aes128gcm", privateKey: device.ecdh, authSecret: device.auth });
      const status = device.script.shift() ?? 201;
      this.received.push({ id, headers, claims, vapidKey: key, payload: JSON.parse(plain.toString("utf8")), status });
      return status;
    } catch (error) {
      this.rejected.push({ id, reason: (error as Error).message });
      return 400;
    } finally {
      for (const w of this.waiters.splice(0)) w();
    }
  }

  /** RFC 8292: `Authorization: vapid t=<ES256 JWT>, k=<public key>`, aud = this origin, exp within 24 h. */
  private async verifyVapid(headers: IncomingHttpHeaders): Promise<{ claims: JWTPayload; key: string }> {
    const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(headers.authorization ?? "");
    if (!match) throw new Error(`bad Authorization header: ${headers.authorization}`);
    const [, token, key] = match as unknown as [string, string, string];
    if (decodeProtectedHeader(token).alg !== "ES256") throw new Error("VAPID token not ES256");
    const point = Buffer.from(key, "base64url");
    if (point.length !== 65 || point[0] !== 4) throw new Error("VAPID key is not an uncompressed P-256 point");
    const jwk = {
      kty: "EC",
      crv: "P-256",
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33).toString("base64url"),
    };
    const { payload } = await jwtVerify(token, await importJWK(jwk, "ES256"), { audience: this.origin });
    if (typeof payload.exp !== "number" || payload.exp * 1000 > Date.now() + 24 * 3600_000)
      throw new Error("VAPID exp missing or more than 24 h ahead");
    if (typeof payload.sub !== "string") throw new Error("VAPID sub missing");
    return { claims: payload, key };
  }
}

function idOf(endpoint: string): string {
  return endpoint.slice(endpoint.lastIndexOf("/") + 1);
}
