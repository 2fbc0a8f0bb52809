// Push notifications end to end: a real Web Push round trip to a local push service that verifies the VAPID token and
// decrypts the payload (RFC 8291), and the rules: offline only, after the grace period, coalescing, mute, do not
// disturb, never the sender, previews, logout, removal of gone subscriptions and retries.

import assert from "node:assert/strict";
import { createECDH, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import { startParley } from "../app.js";
import {
  connectVia,
  http,
  type ProtocolClient,
  RATE_LIMITS_OFF,
  register,
  sleep,
  startTestServer,
  type TestServer,
} from "./harness.js";
import { TestPushService, type TestSubscription } from "./push-endpoint.js";

const GRACE_MS = 300;
const COALESCE_MS = 400;
/** Long enough for a notification that would be sent to have arrived: the window, the grace period and slack. */
const QUIET_MS = Math.max(GRACE_MS, COALESCE_MS) + 700;

describe("push notifications (Web Push round trip)", () => {
  let server: TestServer;
  let pushService: TestPushService;
  let alice: AuthResult;
  let bob: AuthResult;
  let carol: AuthResult;
  let a: ProtocolClient;
  let c: ProtocolClient;
  let bobSub: TestSubscription;
  let carolSub: TestSubscription;
  let aliceSub: TestSubscription;
  let groups = 0;

  const call = async (who: AuthResult, method: string, path: string, body?: unknown) => {
    const res = await http(server, method, path, body, who.accessToken);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const subscribe = (who: AuthResult, sub: TestSubscription) => call(who, "POST", "/v1/push/subscriptions", sub);
  /** A fresh group of alice and the given users, so unread counts and mutes of one test do not leak into another. */
  const group = async (...members: AuthResult[]) =>
    (await a.request("conversations.createGroup", { title: `Group ${++groups}`, memberIds: members.map((m) => m.user.id) })).id;
  /** Sent over HTTP: alice then has no live connection, like a sender on a phone in the background. */
  let clientIds = 0;
  const send = async (conversationId: string, body = "hello", from = alice) =>
    call(from, "POST", `/v1/conversations/${conversationId}/messages`, { clientId: `push-${++clientIds}`, body });
  /** Message notifications (not "added to the group" ones, which the groups of these tests may also cause). */
  const pushesFor = (sub: TestSubscription, conversationId: string) =>
    pushService
      .delivered(sub.endpoint)
      .filter((p) => p.payload.conversationId === conversationId && p.payload.type === "message");

  before(async () => {
    pushService = await TestPushService.start();
    server = await startTestServer({
      presenceGraceMs: GRACE_MS,
      pushCoalesceMs: COALESCE_MS,
      pushAllowPrivateEndpoints: true,
      pushRetryBaseMs: 50,
      pushMaxAttempts: 3,
    });
    [alice, bob, carol] = await Promise.all([
      register(server, `alice_push_${process.pid}`),
      register(server, `bob_push_${process.pid}`),
      register(server, `carol_push_${process.pid}`),
    ]);
    await call(alice, "PATCH", "/v1/me", { displayName: "Alice" });
    [a, c] = await Promise.all([connectVia("ws", server, alice.accessToken), connectVia("ws", server, carol.accessToken)]);
    bobSub = pushService.subscription();
    carolSub = pushService.subscription();
    aliceSub = pushService.subscription();
    await subscribe(bob, bobSub);
    await subscribe(carol, carolSub);
    await subscribe(alice, aliceSub);
  });
  after(async () => {
    await Promise.all([a.close(), c.close()]);
    await server.close();
    await pushService.close();
  });

  it("push.config gives the VAPID public key, generated into the data directory with mode 0600", async () => {
    const config = await a.request("push.config", {});
    assert.equal(config.enabled, true);
    const file = join(server.dataDir, "vapid-keys.json");
    const stored = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(config.vapidPublicKey, stored.publicKey);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  });

  it("an offline member gets one notification after the grace period: VAPID-signed, encrypted, decrypted here", async () => {
    const g = await group(bob);
    const sentAt = Date.now();
    const ack = await send(g, "first secret text");
    await pushService.waitFor(() => pushesFor(bobSub, g).length > 0);
    const [push] = pushesFor(bobSub, g);
    assert.ok(Date.now() - sentAt >= GRACE_MS, "not before the grace period");
    assert.deepEqual(push!.payload, {
      type: "message",
      conversationId: g,
      title: `Group ${groups}`,
      body: "New message from Alice",
      count: 1,
      seq: ack.seq,
      url: `/c/${g}`,
    });
    assert.equal(push!.claims.aud, pushService.origin);
    assert.equal(push!.vapidKey, (await a.request("push.config", {})).vapidPublicKey);
    assert.ok(push!.headers["topic"], "a Topic header per conversation");
    assert.equal(push!.headers["urgency"], "normal");
    assert.deepEqual(pushService.rejected, []);
  });

  it("a disappearing message's notification is never queued by the push service past the message's expiry", async () => {
    const plain = await group(bob);
    const timed = await group(bob);
    await a.request("conversations.setDisappearing", { conversationId: timed, seconds: 3600 });
    await send(plain, "kept");
    await send(timed, "gone in an hour");
    await pushService.waitFor(() => pushesFor(bobSub, plain).length > 0 && pushesFor(bobSub, timed).length > 0);
    const ttl = (conversationId: string) => Number(pushesFor(bobSub, conversationId)[0]!.headers["ttl"]);
    assert.equal(ttl(plain), server.config.pushTtlSeconds);
    assert.ok(ttl(timed) <= 3600 && ttl(timed) > 3500, `TTL ${ttl(timed)} is the message's remaining lifetime`);
    assert.ok(server.config.pushTtlSeconds > 3600, "the cap is what made it shorter");
  });

  it("the sender never gets one, and an online member gets none", async () => {
    const g = await group(bob, carol);
    await send(g, "to everyone");
    await pushService.waitFor(() => pushesFor(bobSub, g).length > 0);
    await sleep(300);
    assert.equal(pushesFor(carolSub, g).length, 0, "carol is online");
    assert.equal(pushesFor(aliceSub, g).length, 0, "alice sent it");
  });

  it("the sender gets none even with no device online", async () => {
    const offlineSender = await register(server);
    const sub = pushService.subscription();
    await subscribe(offlineSender, sub);
    const g = (await call(offlineSender, "POST", "/v1/conversations/group", { title: "own", memberIds: [bob.user.id] })).id;
    await send(g, "from someone offline", offlineSender);
    await pushService.waitFor(() => pushesFor(bobSub, g).length > 0);
    await sleep(300);
    assert.equal(pushesFor(sub, g).length, 0);
  });

  it("a member who comes back within the grace period gets none", async () => {
    const g = await group(bob);
    await send(g, "quick");
    const b = await connectVia("ws", server, bob.accessToken);
    await sleep(QUIET_MS);
    assert.equal(pushesFor(bobSub, g).length, 0);
    await b.close();
  });

  it("a burst is coalesced into one notification with a count", async () => {
    const g = await group(bob);
    let last = 0;
    for (let i = 0; i < 5; i++) last = (await send(g, `burst ${i}`)).seq;
    await pushService.waitFor(() => pushesFor(bobSub, g).length > 0);
    await sleep(QUIET_MS);
    const pushes = pushesFor(bobSub, g);
    assert.equal(pushes.length, 1, "one notification for the burst");
    assert.equal(pushes[0]!.payload.count, 5);
    assert.equal(pushes[0]!.payload.seq, last);
    assert.equal(pushes[0]!.payload.body, "5 new messages from Alice");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /parley_push_coalesced_total [1-9]/);
  });

  it("a channel notifies the members it mentions and those with level all, at most once a minute per channel", async () => {
    const channel = async () =>
      (await call(alice, "POST", "/v1/channels", { title: `Channel ${++groups}`, visibility: "private" })).id;
    const quiet = await channel();
    await call(alice, "POST", `/v1/channels/${quiet}/members`, { userIds: [bob.user.id] });
    await send(quiet, "for everyone, nobody notified");
    await sleep(QUIET_MS);
    assert.equal(pushesFor(bobSub, quiet).length, 0, "level mentions (the default): a plain message notifies nobody");
    await send(quiet, `hey <@${bob.user.id}>`);
    await pushService.waitFor(() => pushesFor(bobSub, quiet).length > 0);
    // Level all from now on, but the channel's next notification waits a minute: none within the test.
    await call(bob, "PUT", `/v1/channels/${quiet}/notifications`, { level: "all" });
    await send(quiet, "one more");
    await sleep(QUIET_MS);
    assert.equal(pushesFor(bobSub, quiet).length, 1, "coalesced: one per user and channel per minute");
    const loud = await channel();
    await call(alice, "POST", `/v1/channels/${loud}/members`, { userIds: [bob.user.id] });
    await call(bob, "PUT", `/v1/channels/${loud}/notifications`, { level: "all" });
    await send(loud, "news for all");
    await pushService.waitFor(() => pushesFor(bobSub, loud).length > 0);
    assert.equal(pushesFor(bobSub, loud)[0]!.payload.count, 1);
    await call(bob, "PUT", `/v1/channels/${loud}/notifications`, { level: "mentions" });
    const refused = await http(server, "PUT", `/v1/channels/${loud}/notifications`, { level: "all" }, carol.accessToken);
    assert.equal(refused.body.error.code, "not_found", "not a member");
  });

  it("a muted conversation sends none; unmuted it does again", async () => {
    const g = await group(bob);
    const muted = await call(bob, "PUT", `/v1/conversations/${g}/mute`, { until: "forever" });
    assert.deepEqual(muted, { conversationId: g, mutedUntil: "forever" });
    assert.deepEqual((await call(bob, "GET", "/v1/settings")).mutes, [{ conversationId: g, mutedUntil: "forever" }]);
    await send(g, "muted");
    await sleep(QUIET_MS);
    assert.equal(pushesFor(bobSub, g).length, 0);
    await call(bob, "PUT", `/v1/conversations/${g}/mute`, { until: null });
    const ack = await send(g, "unmuted");
    await pushService.waitFor(() => pushesFor(bobSub, g).length > 0);
    assert.equal(pushesFor(bobSub, g)[0]!.payload.seq, ack.seq);
  });

  it("a mute until a time ends by itself", async () => {
    const g = await group(bob);
    const until = Date.now() + 60_000;
    assert.deepEqual(await call(bob, "PUT", `/v1/conversations/${g}/mute`, { until }), { conversationId: g, mutedUntil: until });
    await send(g, "muted for a minute");
    await sleep(QUIET_MS);
    assert.equal(pushesFor(bobSub, g).length, 0);
  });

  it("do not disturb sends none; turned off it does again", async () => {
    const g = await group(bob);
    assert.equal((await call(bob, "PATCH", "/v1/settings", { dnd: "forever" })).dnd, "forever");
    await send(g, "during dnd");
    await sleep(QUIET_MS);
    assert.equal(pushesFor(bobSub, g).length, 0);
    assert.equal((await call(bob, "PATCH", "/v1/settings", { dnd: null })).dnd, null);
    await send(g, "after dnd");
    await pushService.waitFor(() => pushesFor(bobSub, g).length > 0);
  });

  it("a mention notifies in a muted conversation only when the user chose so, never under do not disturb", async () => {
    const g = await group(bob, carol);
    await call(bob, "PUT", `/v1/conversations/${g}/mute`, { until: "forever" });
    assert.equal((await call(bob, "GET", "/v1/settings")).mentionsInMuted, false, "off by default");
    await send(g, `hey <@${bob.user.id}>`);
    await sleep(QUIET_MS);
    assert.equal(pushesFor(bobSub, g).length, 0, "muted, and the user did not choose mentions");
    assert.equal((await call(bob, "PATCH", "/v1/settings", { mentionsInMuted: true, previews: true })).mentionsInMuted, true);
    await send(g, "not about bob");
    await sleep(QUIET_MS);
    assert.equal(pushesFor(bobSub, g).length, 0, "a message without a mention stays muted");
    const ack = await send(g, `**<@${bob.user.id}>** _look_`);
    await pushService.waitFor(() => pushesFor(bobSub, g).length > 0);
    const [push] = pushesFor(bobSub, g);
    assert.equal(push!.payload.seq, ack.seq);
    assert.equal(
      push!.payload.body,
      `Alice: @${bob.user.displayName} look`,
      "the token reads as the name, without formatting markers",
    );
    await call(bob, "PATCH", "/v1/settings", { dnd: "forever" });
    await sleep(COALESCE_MS);
    await send(g, `<@${bob.user.id}> during dnd`);
    await sleep(QUIET_MS);
    assert.equal(pushesFor(bobSub, g).length, 1, "do not disturb silences mentions too");
    await call(bob, "PATCH", "/v1/settings", { dnd: null, mentionsInMuted: false, previews: false });
  });

  it("refuses a mention of someone who is not a member, and changes nothing", async () => {
    const g = await group(bob);
    const res = await http(
      server,
      "POST",
      `/v1/conversations/${g}/messages`,
      { clientId: `push-${++clientIds}`, body: `hi <@${carol.user.id}>` },
      alice.accessToken,
    );
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, "validation_failed");
    assert.deepEqual(res.body.error.details, { field: "body", userId: carol.user.id });
    const history = await call(alice, "GET", `/v1/conversations/${g}/messages`);
    assert.equal(history.messages.filter((m: { kind: string }) => m.kind === "text").length, 0);
    const ack = await send(g, `hi <@${bob.user.id}>`);
    const edit = await http(
      server,
      "PATCH",
      `/v1/conversations/${g}/messages/${ack.seq}`,
      { clientId: `push-${++clientIds}`, body: `<@${carol.user.id}>` },
      alice.accessToken,
    );
    assert.equal(edit.status, 400);
    assert.equal(edit.body.error.details.userId, carol.user.id);
  });

  it("the conversation list counts unread messages that mention the caller", async () => {
    const g = await group(bob, carol);
    await send(g, `<@${bob.user.id}> one`);
    await send(g, "none");
    await send(g, `<@${carol.user.id}> and <@${bob.user.id}>`);
    await send(g, `<@${bob.user.id}> mine`, bob);
    const list = await call(bob, "GET", `/v1/conversations/${g}`);
    assert.equal(list.unread, 3);
    assert.equal(list.mentions, 2);
    await call(bob, "POST", `/v1/conversations/${g}/receipts`, { read: list.lastSeq });
    assert.equal((await call(bob, "GET", `/v1/conversations/${g}`)).mentions, 0);
  });

  it("the text is in the notification only when the user allows previews", async () => {
    const g = await group(bob);
    assert.equal((await call(bob, "GET", "/v1/settings")).previews, false, "off by default");
    await send(g, "no preview of this");
    await pushService.waitFor(() => pushesFor(bobSub, g).length > 0);
    assert.equal(pushesFor(bobSub, g)[0]!.payload.body, "New message from Alice");
    assert.doesNotMatch(JSON.stringify(pushesFor(bobSub, g)[0]!.payload), /no preview of this/);
    assert.equal((await call(bob, "PATCH", "/v1/settings", { previews: true })).previews, true);
    await sleep(COALESCE_MS);
    await send(g, "see   this\ntext");
    await pushService.waitFor(() => pushesFor(bobSub, g).length > 1);
    assert.equal(pushesFor(bobSub, g)[1]!.payload.body, "Alice: see this text");
    await call(bob, "PATCH", "/v1/settings", { previews: false });
  });

  it("a subscription the push service reports gone (410) is removed", async () => {
    const dave = await register(server);
    const sub = pushService.subscription([410]);
    await subscribe(dave, sub);
    const g = await group(dave);
    await send(g, "to a gone device");
    await pushService.waitFor(() => pushService.received.some((r) => sub.endpoint.endsWith(r.id)));
    await sleep(COALESCE_MS + 100);
    await send(g, "again");
    await sleep(QUIET_MS);
    assert.equal(
      pushService.received.filter((r) => sub.endpoint.endsWith(r.id)).length,
      1,
      "the removed subscription gets nothing more",
    );
    assert.match(await (await fetch(`${server.url}/metrics`)).text(), /parley_push_gone_total 1/);
  });

  it("a 500 is retried with backoff and then delivered", async () => {
    const erin = await register(server);
    const sub = pushService.subscription([500, 503]);
    await subscribe(erin, sub);
    const g = await group(erin);
    const ack = await send(g, "retry me");
    await pushService.waitFor(() => pushService.delivered(sub.endpoint).length > 0);
    const attempts = pushService.received.filter((r) => sub.endpoint.endsWith(r.id));
    assert.deepEqual(
      attempts.map((r) => r.status),
      [500, 503, 201],
    );
    assert.ok(attempts.every((r) => r.payload.seq === ack.seq));
    assert.match(await (await fetch(`${server.url}/metrics`)).text(), /parley_push_retried_total [2-9]/);
  });

  it("logging a device out removes its subscription; unsubscribe removes one", async () => {
    const frank = await register(server);
    const other = (
      await http(server, "POST", "/v1/auth/login", { username: frank.user.username, password: "correct horse battery" })
    ).body as AuthResult;
    const kept = pushService.subscription();
    const loggedOut = pushService.subscription();
    const unsubscribed = pushService.subscription();
    await subscribe(frank, kept);
    await subscribe(other, loggedOut);
    await subscribe(frank, unsubscribed);
    await call(frank, "POST", "/v1/push/unsubscribe", { endpoint: unsubscribed.endpoint });
    await call(other, "POST", "/v1/auth/logout");
    const g = await group(frank);
    await send(g, "who gets this");
    await pushService.waitFor(() => pushesFor(kept, g).length > 0);
    await sleep(300);
    assert.equal(pushesFor(loggedOut, g).length, 0);
    assert.equal(pushesFor(unsubscribed, g).length, 0);
  });

  it("a member added to a group while offline is told who added them; no message notification counts it", async () => {
    const gina = await register(server);
    const sub = pushService.subscription();
    await subscribe(gina, sub);
    const g = await group(gina);
    await pushService.waitFor(() => pushService.delivered(sub.endpoint).length > 0);
    const [push] = pushService.delivered(sub.endpoint);
    assert.deepEqual(push!.payload, {
      type: "added",
      conversationId: g,
      title: `Group ${groups}`,
      body: "Alice added you",
      count: 0,
      seq: 1,
      url: `/c/${g}`,
    });
    // Added and written to within one window: one notification, about the message.
    const hank = await register(server);
    const hankSub = pushService.subscription();
    await subscribe(hank, hankSub);
    const h = await group(hank);
    const ack = await send(h, "welcome");
    await pushService.waitFor(() => pushService.delivered(hankSub.endpoint).length > 0);
    await sleep(QUIET_MS);
    const pushes = pushService.delivered(hankSub.endpoint);
    assert.equal(pushes.length, 1);
    assert.equal(pushes[0]!.payload.type, "message");
    assert.equal(pushes[0]!.payload.seq, ack.seq);
  });

  it("refuses bad input: mute of a conversation not joined, a time in the past, empty settings", async () => {
    const g = await group(bob);
    const outsider = await register(server);
    const notMember = await http(server, "PUT", `/v1/conversations/${g}/mute`, { until: "forever" }, outsider.accessToken);
    assert.equal(notMember.body.error.code, "not_found");
    const past = await http(server, "PUT", `/v1/conversations/${g}/mute`, { until: Date.now() - 1000 }, bob.accessToken);
    assert.equal(past.body.error.code, "validation_failed");
    assert.equal(past.body.error.details.field, "until");
    const empty = await http(server, "PATCH", "/v1/settings", {}, bob.accessToken);
    assert.equal(empty.body.error.code, "validation_failed");
    const badUntil = await http(server, "PATCH", "/v1/settings", { dnd: "tomorrow" }, bob.accessToken);
    assert.equal(badUntil.body.error.code, "validation_failed");
  });
});

describe("push subscriptions: endpoint and key validation, disabled push, configured keys", () => {
  let server: TestServer;
  let user: AuthResult;
  const keys = () => {
    const ecdh = createECDH("prime256v1");
    return { p256dh: ecdh.generateKeys().toString("base64url"), auth: randomBytes(16).toString("base64url") };
  };

  before(async () => {
    server = await startTestServer();
    user = await register(server);
  });
  after(() => server.close());

  const attempt = (body: unknown) => http(server, "POST", "/v1/push/subscriptions", body, user.accessToken);

  it("accepts an https endpoint on a public host", async () => {
    const res = await attempt({ endpoint: "https://fcm.googleapis.com/fcm/send/abc", keys: keys() });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { endpoint: "https://fcm.googleapis.com/fcm/send/abc" });
  });

  for (const [endpoint, why] of [
    ["http://push.example.com/x", "not https"],
    ["https://127.0.0.1/x", "loopback"],
    ["https://10.1.2.3/x", "private"],
    ["https://169.254.169.254/latest/meta-data", "link-local (cloud metadata)"],
    ["https://[::1]/x", "IPv6 loopback"],
    ["https://[::ffff:192.168.0.1]/x", "IPv4-mapped private"],
    ["https://localhost/x", "localhost"],
    ["https://user:pw@push.example.com/x", "credentials"],
    ["not a url at all", "not a URL"],
  ])
    it(`refuses an endpoint that is ${why}`, async () => {
      const res = await attempt({ endpoint, keys: keys() });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, "invalid_push_subscription");
      assert.equal(res.body.error.details.field, "endpoint");
    });

  it("refuses keys that are not a P-256 point and a 16-byte secret", async () => {
    const good = keys();
    const offCurve = Buffer.alloc(65, 1);
    offCurve[0] = 4;
    for (const bad of [
      { ...good, auth: randomBytes(12).toString("base64url") },
      { ...good, p256dh: offCurve.toString("base64url") },
    ]) {
      const res = await attempt({ endpoint: "https://push.example.com/k", keys: bad });
      assert.equal(res.body.error.code, "invalid_push_subscription", JSON.stringify(res.body));
      assert.equal(res.body.error.details.field, "keys");
    }
    const schema = await attempt({ endpoint: "https://push.example.com/k", keys: { p256dh: "!!", auth: "x" } });
    assert.equal(schema.body.error.code, "validation_failed");
  });

  it("with push disabled: config says so and subscribing fails with push_disabled", async () => {
    const off = await startTestServer({ pushEnabled: false });
    try {
      const u = await register(off);
      assert.deepEqual((await http(off, "GET", "/v1/push/config", undefined, u.accessToken)).body, {
        enabled: false,
        vapidPublicKey: null,
      });
      const res = await http(
        off,
        "POST",
        "/v1/push/subscriptions",
        { endpoint: "https://push.example.com/x", keys: keys() },
        u.accessToken,
      );
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, "push_disabled");
    } finally {
      await off.close();
    }
  });

  it("generated keys are kept across restarts; configured keys win", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "parley-vapid-"));
    const start = (extra = {}) =>
      startParley({ host: "127.0.0.1", port: 0, dataDir, logLevel: "silent", ...RATE_LIMITS_OFF, ...extra });
    try {
      const key = async (s: Awaited<ReturnType<typeof start>>) => {
        const u = await register(s);
        return (await http(s, "GET", "/v1/push/config", undefined, u.accessToken)).body.vapidPublicKey as string;
      };
      let s = await start();
      const first = await key(s);
      await s.close();
      s = await start();
      assert.equal(await key(s), first, "the same pair after a restart");
      await s.close();
      const configured = JSON.parse(readFileSync(join(dataDir, "vapid-keys.json"), "utf8"));
      const other = (await import("web-push")).default.generateVAPIDKeys();
      s = await start({ vapidPublicKey: other.publicKey, vapidPrivateKey: other.privateKey });
      assert.equal(await key(s), other.publicKey);
      assert.notEqual(other.publicKey, configured.publicKey);
      await s.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
