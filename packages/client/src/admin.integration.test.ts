// Integration: running a server through the SDK against a real one (issue 20): the administrator's calls, invitations
// and reset links, account self-service (password, devices), and a deactivated user's client, which must end signed
// out with `auth-lost` once instead of reconnecting in a loop.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isParleyError } from "./errors.js";
import type { ParleyClient } from "./node.js";
import { nextEvent } from "./testing/client-events.js";
import { PASSWORD, SdkTestServer } from "./testing/real-server.js";

describe("SDK: administration and account self-service against the real server", { timeout: 60_000 }, () => {
  let server: SdkTestServer;
  let admin: ParleyClient;
  let n = 0;
  const name = (label: string) => `${label}${++n}`;

  /** A client signed in as a new user (registered while registration is open). */
  async function newUser(label: string, options: Partial<ConstructorParameters<typeof ParleyClient>[0]> = {}) {
    const client = server.client(options);
    const user = await client.register(name(label), PASSWORD);
    return { client, user };
  }

  async function refused(promise: Promise<unknown>, code: string): Promise<void> {
    await assert.rejects(promise, (error: unknown) => isParleyError(error) && error.code === code);
  }

  before(async () => {
    server = await SdkTestServer.start({ label: "admin" });
    admin = server.client();
    // The first account of a fresh server is its administrator.
    assert.equal((await admin.register("root", PASSWORD)).admin, true);
  });

  after(async () => {
    await server.close();
  });

  it("administers: users listed and searched, accounts created, reset links, settings, invitations, the audit log", async () => {
    const made = await admin.admin.createUser({ username: "bea", displayName: "Bea Admin-Made" });
    assert.equal(made.user.username, "bea");
    assert.ok(made.reset?.token, "an account without a password gets a reset link");
    const bea = server.client();
    assert.equal((await bea.resetPassword(made.reset.token, "bea's new password")).id, made.user.id);
    await refused(server.client().resetPassword(made.reset.token, "another password"), "invalid_reset_token");

    const found = await admin.admin.users({ query: "admin-made" });
    assert.deepEqual(
      found.items.map((u) => u.username),
      ["bea"],
    );
    const page = await admin.admin.users({ limit: 1 });
    assert.equal(page.items.length, 1);
    assert.equal(page.next, page.items[0]?.username);

    assert.equal((await admin.admin.updateSettings({ registration: "invite_only" })).registration, "invite_only");
    assert.equal((await admin.admin.settings()).registration, "invite_only");
    try {
      await refused(server.client().register(name("uninvited"), PASSWORD), "invite_required");
      const invite = await admin.admin.createInvite({ maxUses: 1, note: "sdk test" });
      assert.ok(invite.token);
      const invited = await server.client().register(name("invited"), PASSWORD, { invite: invite.token });
      assert.equal(invited.admin, undefined);
      await refused(server.client().register(name("second"), PASSWORD, { invite: invite.token }), "invalid_invite");
      const listed = await admin.admin.invites();
      assert.deepEqual(
        listed.items.map((i) => [i.id, i.uses, i.token]),
        [[invite.id, 1, undefined]],
      );
      assert.notEqual((await admin.admin.revokeInvite(invite.id)).revokedAt, null);
    } finally {
      await admin.admin.updateSettings({ registration: "open" });
    }

    const audit = await admin.admin.audit({ limit: 200 });
    const actions = audit.items.map((e) => e.action);
    for (const action of ["user.created", "settings.updated", "invite.created", "invite.revoked", "admin.granted"]) {
      assert.ok(actions.includes(action as never), `${action} in ${actions.join(", ")}`);
    }
    const csv = await admin.admin.exportAudit("csv");
    assert.ok(csv.startsWith("id,at,actorId,action,target,details\r\n"), csv.slice(0, 80));
    const jsonl = (await admin.admin.exportAudit("jsonl")).trim().split("\n");
    assert.equal(jsonl.length, audit.items.length);
    assert.equal(JSON.parse(jsonl[0]!).id, audit.items[0]!.id);
  });

  it("moderates: a report reaches the queue, a removal resolves it, a group ban refuses re-adding until lifted", async () => {
    const { client: ann } = await newUser("ann");
    const { client: bob, user: bobUser } = await newUser("bob");
    await Promise.all([ann.connect(), bob.connect()]);
    const group = await ann.createGroup("Club", [bobUser.id]);
    const sent = await bob.send(group.id, "buy cheap watches");
    const report = await ann.reportMessage(group.id, sent.seq, "spam", "ads");
    assert.deepEqual([report.reason, report.note, report.resolution], ["spam", "ads", null]);
    const queue = await admin.admin.reports();
    const listed = queue.items.find((r) => r.id === report.id);
    assert.equal(listed?.message?.body, "buy cheap watches");
    const removed = await admin.admin.removeMessage(group.id, sent.seq);
    assert.deepEqual(removed.action, { type: "delete", target: sent.seq, by: "admin" });
    assert.equal(
      (await admin.admin.reports({ status: "resolved" })).items.find((r) => r.id === report.id)?.resolution,
      "removed",
    );
    const again = await bob.send(group.id, "only joking");
    const second = await ann.reportMessage(group.id, again.seq, "other");
    assert.equal((await admin.admin.dismissReport(second.id)).resolution, "dismissed");

    const { ban, message } = await ann.banMember(group.id, bobUser.id, "off topic");
    assert.deepEqual([ban.userId, ban.reason, message?.event?.type], [bobUser.id, "off topic", "member.removed"]);
    assert.deepEqual(
      (await ann.listBans(group.id)).map((b) => b.userId),
      [bobUser.id],
    );
    await refused(ann.addMembers(group.id, [bobUser.id]), "not_allowed");
    assert.deepEqual(await ann.unbanMember(group.id, bobUser.id), []);
    assert.equal((await ann.addMembers(group.id, [bobUser.id])).event?.type, "member.added");
    await Promise.all([ann.close(), bob.close()]);
  });

  it("refuses every admin call to a user who is not an administrator", async () => {
    const { client } = await newUser("plain");
    await refused(client.admin.users(), "forbidden");
    await refused(client.admin.updateSettings({ registration: "closed" }), "forbidden");
    await refused(client.admin.exportAudit("csv"), "forbidden");
    assert.equal((await admin.admin.settings()).registration, "open");
  });

  it("changes the password, signing out the other devices; lists devices and signs one out", async () => {
    const { client: laptop, user } = await newUser("dev", { deviceName: "laptop" });
    const phone = server.client({ deviceName: "phone" });
    await phone.login(user.username, PASSWORD);
    await phone.connect();
    const tablet = server.client({ deviceName: "tablet" });
    await tablet.login(user.username, PASSWORD);
    await tablet.connect();

    const sessions = await laptop.sessions();
    assert.deepEqual(sessions.map((s) => [s.deviceName, s.current]).sort(), [
      ["laptop", true],
      ["phone", false],
      ["tablet", false],
    ]);
    const tabletLost = nextEvent(tablet, "auth-lost");
    const left = await laptop.revokeSession(sessions.find((s) => s.deviceName === "tablet")!.id);
    assert.deepEqual(left.map((s) => s.deviceName).sort(), ["laptop", "phone"]);
    await tabletLost;

    await refused(laptop.changePassword("not the password", "a new long password"), "wrong_password");
    const phoneLost = nextEvent(phone, "auth-lost");
    await laptop.changePassword(PASSWORD, "a new long password");
    await phoneLost;
    assert.deepEqual(
      (await laptop.sessions()).map((s) => s.deviceName),
      ["laptop"],
    );
    await refused(server.client().login(user.username, PASSWORD), "invalid_credentials");
    await server.client().login(user.username, "a new long password");
  });

  for (const transport of ["websocket", "long-poll"] as const) {
    it(`ends a deactivated user's client with one auth-lost and no reconnecting (${transport})`, async () => {
      const { client, user } = await newUser("gone", { transport });
      await client.connect();
      const lost: string[] = [];
      client.on("auth-lost", (error) => lost.push(error.code));
      const states: string[] = [];
      client.connection.on("state", (state) => states.push(state));

      await admin.admin.deactivate(user.id);
      const started = Date.now();
      while (lost.length === 0 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(lost, ["account_deactivated"]);
      assert.equal(client.credentials, undefined, "the credentials are dropped");
      // Long enough for several reconnect attempts (the backoff starts well below a second): there must be none.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.deepEqual(lost, ["account_deactivated"]);
      assert.equal(client.state, "disconnected");
      assert.ok(!states.includes("connecting"), `reconnected: ${states.join(" → ")}`);
      await refused(client.connect(), "not_authenticated");
      await refused(server.client().login(user.username, PASSWORD), "account_deactivated");
    });
  }
});
