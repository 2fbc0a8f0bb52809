// Security review #9: push.subscribe refuses endpoints whose address is not global unicast, IPv6 forms that embed an
// IPv4 address included, over both transports and HTTP; delivery refuses a name that resolves to such an address.

import assert from "node:assert/strict";
import { createECDH, randomBytes } from "node:crypto";
import dns from "node:dns";
import { syncBuiltinESMExports } from "node:module";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import { generateVapidKeys, WebPushProvider } from "../../adapters/webpush/web-push-provider.js";
import { connectVia, http, ProtocolError, register, startTestServer, type TestServer, TRANSPORTS } from "../harness.js";

const keys = () => ({
  p256dh: createECDH("prime256v1").generateKeys().toString("base64url"),
  auth: randomBytes(16).toString("base64url"),
});

/** Each one reaches an internal or non-public address when dialled. */
const REFUSED: [string, string][] = [
  ["https://[64:ff9b::7f00:1]/x", "NAT64 of 127.0.0.1"],
  ["https://[64:ff9b::a9fe:a9fe]/latest/meta-data", "NAT64 of the cloud metadata address"],
  ["https://[2002:a00:1::1]/x", "6to4 of 10.0.0.1"],
  ["https://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/x", "Teredo"],
  ["https://[::7f00:1]/x", "IPv4-compatible 127.0.0.1"],
  ["https://[::ffff:0:a00:1]/x", "IPv4-translated 10.0.0.1"],
  ["https://[fec0::1]/x", "site-local"],
  ["https://[2001:db8::1]/x", "documentation"],
  ["https://192.0.2.10/x", "IPv4 documentation"],
];

describe("security review #9: push endpoints must be global unicast", () => {
  let server: TestServer;
  let user: AuthResult;

  before(async () => {
    server = await startTestServer();
    user = await register(server);
  });
  after(() => server.close());

  for (const [endpoint, what] of REFUSED)
    it(`refuses ${what} over HTTP`, async () => {
      const res = await http(server, "POST", "/v1/push/subscriptions", { endpoint, keys: keys() }, user.accessToken);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, "invalid_push_subscription");
      assert.equal(res.body.error.details.field, "endpoint");
    });

  for (const transport of TRANSPORTS)
    it(`refuses them over ${transport} and keeps a global address`, async () => {
      const client = await connectVia(transport, server, user.accessToken);
      try {
        for (const [endpoint, what] of REFUSED) {
          await assert.rejects(
            client.request("push.subscribe", { endpoint, keys: keys() }),
            (e: unknown) => e instanceof ProtocolError && e.error.code === "invalid_push_subscription",
            what,
          );
        }
        const ok = await client.request("push.subscribe", {
          endpoint: "https://[2a00:1450:4001:82b::200a]/push/1",
          keys: keys(),
        });
        assert.equal(ok.endpoint, "https://[2a00:1450:4001:82b::200a]/push/1");
      } finally {
        await client.close();
      }
    });
});

describe("security review #9: at delivery, resolved addresses must be global unicast", () => {
  const realLookup = dns.lookup;
  after(() => {
    dns.lookup = realLookup;
    syncBuiltinESMExports();
  });

  it("refuses a public-looking name that resolves to a NAT64 or 6to4 address of a private one", async () => {
    const resolved: Record<string, string> = {
      "nat64.push.example": "64:ff9b::a9fe:a9fe",
      "sixtofour.push.example": "2002:a00:1::1",
      "teredo.push.example": "2001:0:4136:e378:8000:63bf:f5ff:fffe",
    };
    // The resolver answers for the test's names (a DNS server an attacker controls would answer the same).
    dns.lookup = ((hostname: string, options: unknown, callback: (...args: unknown[]) => void) => {
      const address = resolved[hostname];
      if (!address) return (realLookup as (...args: unknown[]) => void)(hostname, options, callback);
      callback(null, [{ address, family: 6 }]);
    }) as typeof dns.lookup;
    syncBuiltinESMExports();
    const provider = new WebPushProvider({ vapid: generateVapidKeys(), subject: "mailto:ops@example.com", allowPrivate: false });
    const options = { ttlSeconds: 60, urgency: "normal" as const };
    for (const host of Object.keys(resolved)) {
      const outcome = await provider.deliver(
        { kind: "webpush", endpoint: `https://${host}/push/1`, keys: keys() },
        "{}",
        options,
      );
      assert.deepEqual(outcome, { status: "failed", reason: `${host} resolves to a private address` }, host);
    }
  });
});
