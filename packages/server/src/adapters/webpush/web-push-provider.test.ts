// WebPushProvider against a local HTTP endpoint: how answers map to outcomes, and the private-address check at delivery.

import assert from "node:assert/strict";
import { createECDH, randomBytes } from "node:crypto";
import { lookup } from "node:dns/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { after, before, describe, it } from "node:test";
import { isPrivateAddress } from "../../domain/push-endpoint.js";
import type { PushOptions } from "../../ports/push-provider.js";
import { generateVapidKeys, WebPushProvider } from "./web-push-provider.js";

const OPTIONS: PushOptions = { ttlSeconds: 60, urgency: "normal", topic: "abc" };

function keys() {
  const ecdh = createECDH("prime256v1");
  return { p256dh: ecdh.generateKeys().toString("base64url"), auth: randomBytes(16).toString("base64url") };
}

describe("WebPushProvider", () => {
  let server: Server;
  let base = "";
  /** Path → [status, headers] the endpoint answers. */
  const answers: Record<string, [number, Record<string, string>]> = {
    "/ok": [201, {}],
    "/gone": [410, {}],
    "/missing": [404, {}],
    "/busy": [429, { "retry-after": "7" }],
    "/down": [503, {}],
    "/bad": [400, {}],
  };
  const seen: { path: string; headers: Record<string, unknown> }[] = [];
  const vapid = generateVapidKeys();
  const provider = new WebPushProvider({ vapid, subject: "mailto:ops@example.com", allowPrivate: true, timeoutMs: 2000 });

  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        seen.push({ path: req.url ?? "", headers: req.headers });
        const [status, headers] = answers[req.url ?? ""] ?? [500, {}];
        res.writeHead(status, headers).end("details");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const deliver = (path: string) => provider.deliver({ kind: "webpush", endpoint: base + path, keys: keys() }, "{}", OPTIONS);

  it("maps answers: 2xx delivered, 404/410 gone, 429/5xx retry (with Retry-After), other 4xx failed", async () => {
    assert.deepEqual(await deliver("/ok"), { status: "delivered" });
    assert.equal((await deliver("/gone")).status, "gone");
    assert.equal((await deliver("/missing")).status, "gone");
    assert.deepEqual(await deliver("/busy"), { status: "retry", reason: "push service answered 429", afterMs: 7000 });
    assert.equal((await deliver("/down")).status, "retry");
    const bad = await deliver("/bad");
    assert.equal(bad.status, "failed");
  });

  it("sends the Web Push headers: VAPID authorization, aes128gcm, TTL, urgency, topic", async () => {
    await deliver("/ok");
    const h = seen.at(-1)!.headers;
    assert.match(String(h["authorization"]), new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${vapid.publicKey}$`));
    assert.equal(h["content-encoding"], "aes128gcm");
    assert.equal(h["ttl"], "60");
    assert.equal(h["urgency"], "normal");
    assert.equal(h["topic"], "abc");
  });

  it("a connection refused is a retry", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const outcome = await provider.deliver(
      { kind: "webpush", endpoint: `http://127.0.0.1:${port}/x`, keys: keys() },
      "{}",
      OPTIONS,
    );
    assert.equal(outcome.status, "retry");
  });

  it("refuses endpoints on private addresses unless allowed, also when a name resolves to one", async (t) => {
    const strict = new WebPushProvider({ vapid, subject: "mailto:ops@example.com", allowPrivate: false });
    const literal = await strict.deliver({ kind: "webpush", endpoint: "https://127.0.0.1/x", keys: keys() }, "{}", OPTIONS);
    assert.equal(literal.status, "failed");
    // This machine's own name resolves to one of its addresses: private in any container or LAN.
    const name = hostname();
    const resolved = await lookup(name).catch(() => undefined);
    if (!resolved || !isPrivateAddress(resolved.address)) {
      t.skip(`${name} does not resolve to a private address here`);
      return;
    }
    const byName = await strict.deliver({ kind: "webpush", endpoint: `https://${name}/x`, keys: keys() }, "{}", OPTIONS);
    assert.deepEqual(byName, { status: "failed", reason: `${name} resolves to a private address` });
  });
});
