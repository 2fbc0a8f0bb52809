import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { retryAfterMs } from "../adapters/webpush/web-push-provider.js";
import { endpointProblem, isPrivateAddress } from "./push-endpoint.js";

describe("push endpoint policy", () => {
  it("knows private, loopback, link-local and mapped addresses", () => {
    for (const a of [
      "127.0.0.1",
      "10.2.3.4",
      "172.20.1.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "fd00::1",
      "fe80::1",
      "::ffff:10.0.0.1",
    ])
      assert.equal(isPrivateAddress(a), true, a);
    for (const a of ["8.8.8.8", "142.250.74.46", "2001:4860:4860::8888", "::ffff:8.8.8.8", "push.example.com"])
      assert.equal(isPrivateAddress(a), false, a);
  });

  it("security review #9: allows only global unicast; IPv6 forms that embed IPv4 and special blocks are refused", () => {
    for (const a of [
      "64:ff9b::a00:1", // NAT64 of 10.0.0.1
      "64:ff9b::808:808", // NAT64, even of a public address: the server is not a NAT64 client
      "64:ff9b:1::1", // local-use NAT64
      "2002:a00:1::1", // 6to4 of 10.0.0.1
      "2002:808:808::1", // 6to4
      "2001:0:4136:e378:8000:63bf:f5ff:fffe", // Teredo
      "::a00:1", // IPv4-compatible (deprecated)
      "::ffff:a00:1", // IPv4-mapped, hex form (as URL parsing writes it)
      "::ffff:0:a00:1", // IPv4-translated
      "fec0::1", // site-local
      "100::1", // discard-only
      "2001:db8::1", // documentation
      "3fff::1", // documentation (RFC 9637)
      "2001:2::1", // benchmarking
      "2001:20::1", // ORCHIDv2
      "192.0.2.1", // TEST-NET-1
      "198.51.100.7",
      "203.0.113.9",
      "192.88.99.1", // 6to4 relay anycast
      "255.255.255.255",
    ])
      assert.equal(isPrivateAddress(a), true, a);
    for (const a of ["2a00:1450:4001:82b::200a", "2606:4700::6810:84e5", "::ffff:808:808", "1.1.1.1"])
      assert.equal(isPrivateAddress(a), false, a);
    assert.match(endpointProblem("https://[64:ff9b::7f00:1]/x", false) ?? "", /public/);
    assert.match(endpointProblem("https://[2002:7f00:1::1]/x", false) ?? "", /public/);
    assert.match(endpointProblem("https://[::ffff:127.0.0.1]/x", false) ?? "", /public/);
  });

  it("accepts https on public hosts; with private endpoints allowed, http and loopback too", () => {
    assert.equal(endpointProblem("https://updates.push.services.mozilla.com/wpush/v2/x", false), null);
    assert.match(endpointProblem("http://127.0.0.1:9000/push/x", false) ?? "", /https/);
    assert.equal(endpointProblem("http://127.0.0.1:9000/push/x", true), null);
    assert.match(endpointProblem("ftp://127.0.0.1/x", true) ?? "", /https/);
    assert.match(endpointProblem("https://printer.local/x", false) ?? "", /public/);
  });

  it("reads Retry-After as seconds or a date", () => {
    assert.equal(retryAfterMs("120"), 120_000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4000), 6000);
    assert.equal(retryAfterMs("soon"), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
  });
});
