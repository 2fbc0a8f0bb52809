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
