// Running a server for an organisation (issue 20), over the protocol, embedded (SQLite) and as a two-node cluster
// (PostgreSQL + Redis): administrators, registration modes and invitations, account self-service, deactivation, the
// audit log, and the bad inputs that must change nothing.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { AuthResult } from "@parley/protocol";
import Database from "better-sqlite3-multiple-ciphers";
import pg from "pg";
import { probePostgres, probeRedis, TEST_DATABASE_URL } from "./cluster-harness.js";
import { connectVia, http, login, register, startTestCluster, startTestServer, type TestServer, TRANSPORTS } from "./harness.js";
import { requireService } from "./services.js";

const clusterAvailable = await requireService("admin tests on a cluster (PostgreSQL, Redis)", async () => {
  await probePostgres();
  await probeRedis();
});
const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));
const run = promisify(execFile);

interface Deployment {
  /** Where requests go; `other` is a second node in the cluster (the same server embedded). */
  node: TestServer;
  other: TestServer;
  /** The environment `parley-server admin` needs to reach the same store. */
  env: NodeJS.ProcessEnv;
  /** Runs SQL on the deployment's database (to age a row instead of waiting for it). */
  sql(statement: string, values: unknown[]): Promise<void>;
  close(): Promise<void>;
}

const deployments: [string, () => Promise<Deployment>, boolean][] = [
  [
    "embedded (SQLite)",
    async () => {
      const server = await startTestServer();
      return {
        node: server,
        other: server,
        env: { PARLEY_DATA_DIR: server.dataDir },
        sql: async (statement, values) => {
          const db = new Database(join(server.dataDir, "parley.db"));
          try {
            db.prepare(statement.replace(/\$\d+/g, "?")).run(...values);
          } finally {
            db.close();
          }
        },
        close: () => server.close(),
      };
    },
    true,
  ],
  [
    "cluster (PostgreSQL + Redis, two nodes)",
    async () => {
      const cluster = await startTestCluster({ label: "admin", nodeIds: ["a1", "a2"] });
      const [node, other] = cluster.nodes as [TestServer, TestServer];
      return {
        node,
        other,
        env: { PARLEY_DATABASE_URL: TEST_DATABASE_URL, PARLEY_DATABASE_SCHEMA: cluster.schema },
        sql: async (statement, values) => {
          const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
          await client.connect();
          try {
            await client.query(`SET search_path TO ${cluster.schema}`);
            await client.query(statement, values);
          } finally {
            await client.end();
          }
        },
        close: () => cluster.close(),
      };
    },
    clusterAvailable,
  ],
];

const PASSWORD = "correct horse battery";

for (const [name, start, available] of deployments) {
  describe(`administration: ${name}`, { skip: !available && "services unavailable", timeout: 120_000 }, () => {
    let d: Deployment;
    let admin: AuthResult;
    let alice: AuthResult;
    const as = (who: AuthResult) => (method: string, path: string, body?: unknown) =>
      http(d.node, method, path, body, who.accessToken);
    const audit = async () =>
      (await as(admin)("GET", "/v1/admin/audit?limit=200")).body.entries as { action: string; target: string | null }[];

    before(async () => {
      d = await start();
      admin = await register(d.node);
      alice = await register(d.node);
    });
    after(() => d?.close());

    it("makes the first account the administrator, and no later one", async () => {
      assert.equal(admin.user.admin, true);
      assert.equal(alice.user.admin, undefined);
      const me = await as(alice)("GET", "/v1/me");
      assert.equal(me.body.admin, undefined);
      assert.equal((await as(alice)("GET", "/v1/admin/users")).body.error.code, "forbidden");
      const [entry] = await audit();
      assert.equal(entry?.action, "admin.granted");
      assert.equal(entry?.target, admin.user.id);
    });

    it("grants and revokes the role with `parley-server admin` on the server, taking effect at once", async () => {
      const grant = await run(process.execPath, [MAIN, "admin", "grant", alice.user.username], {
        env: { ...process.env, ...d.env },
      });
      assert.match(grant.stdout, /is now an administrator/);
      // The role is read on every call, on every node: no new token needed.
      const listed = await http(d.other, "GET", "/v1/admin/users?limit=1", undefined, alice.accessToken);
      assert.equal(listed.status, 200);
      await run(process.execPath, [MAIN, "admin", "revoke", alice.user.username], { env: { ...process.env, ...d.env } });
      assert.equal((await as(alice)("GET", "/v1/admin/users")).status, 403);
      const unknown = await run(process.execPath, [MAIN, "admin", "grant", "nobody_here"], {
        env: { ...process.env, ...d.env },
      }).catch((error: { code: number; stderr: string }) => error);
      assert.equal((unknown as { code: number }).code, 1);
      assert.match((unknown as { stderr: string }).stderr, /no user named "nobody_here"/);
      const actions = (await audit()).filter((e) => e.target === alice.user.id).map((e) => e.action);
      assert.deepEqual(actions, ["admin.revoked", "admin.granted"]);
    });

    it("lists users paginated and searched", async () => {
      const extra = await Promise.all(["zed_a", "zed_b", "zed_c"].map((n) => register(d.node, n)));
      const first = await as(admin)("GET", "/v1/admin/users?query=zed_&limit=2");
      assert.equal(first.status, 200);
      assert.deepEqual(
        first.body.users.map((u: { username: string }) => u.username),
        extra.slice(0, 2).map((u) => u.user.username),
      );
      const rest = await as(admin)("GET", `/v1/admin/users?query=zed_&limit=2&after=${first.body.next}`);
      assert.deepEqual(
        rest.body.users.map((u: { username: string }) => u.username),
        [extra[2]!.user.username],
      );
      assert.equal(rest.body.next, null);
    });

    it("switches registration between open, invite-only and closed at run time, on every node", async () => {
      const settings = await as(admin)("PATCH", "/v1/admin/settings", { registration: "invite_only" });
      assert.deepEqual(settings.body, { registration: "invite_only", maxMessageAge: null });
      const refused = await http(d.other, "POST", "/v1/auth/register", { username: "no_invite", password: PASSWORD });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, "invite_required");
      const invite = (await as(admin)("POST", "/v1/admin/invites", { maxUses: 1, note: "new colleague" })).body;
      assert.equal(typeof invite.token, "string");
      const joined = await http(d.other, "POST", "/v1/auth/register", {
        username: "invited",
        password: PASSWORD,
        invite: invite.token,
      });
      assert.equal(joined.status, 201);
      const again = await http(d.node, "POST", "/v1/auth/register", {
        username: "invited2",
        password: PASSWORD,
        invite: invite.token,
      });
      assert.equal(again.body.error.code, "invalid_invite");
      assert.equal(again.body.error.details.reason, "used_up");
      const listed = (await as(admin)("GET", "/v1/admin/invites")).body.invites;
      assert.equal(listed[0].uses, 1);
      assert.equal(listed[0].token, undefined, "the secret is shown once");

      await as(admin)("PATCH", "/v1/admin/settings", { registration: "closed" });
      const spare = (await as(admin)("POST", "/v1/admin/invites", {})).body;
      const closed = await http(d.other, "POST", "/v1/auth/register", {
        username: "closed_out",
        password: PASSWORD,
        invite: spare.token,
      });
      assert.equal(closed.status, 403);
      assert.equal(closed.body.error.code, "registration_closed");
      // Administrators still create accounts, with a password or with a reset link for the owner.
      const created = await as(admin)("POST", "/v1/admin/users", { username: "made_by_admin", password: PASSWORD });
      assert.equal(created.status, 200);
      assert.equal(created.body.reset, null);
      assert.equal((await login(d.node, "made_by_admin")).user.username, "made_by_admin");
      const linked = await as(admin)("POST", "/v1/admin/users", { username: "made_with_link", displayName: "Linked" });
      assert.equal(typeof linked.body.reset.token, "string");
      const chosen = await http(d.node, "POST", "/v1/auth/reset-password", {
        token: linked.body.reset.token,
        password: "chosen by owner",
      });
      assert.equal(chosen.status, 200);
      assert.equal(chosen.body.user.displayName, "Linked");
      await as(admin)("PATCH", "/v1/admin/settings", { registration: "open" });
      assert.equal((await register(d.other)).user.admin, undefined);
    });

    it("refuses an expired, revoked or made-up invitation and creates nothing", async () => {
      await as(admin)("PATCH", "/v1/admin/settings", { registration: "invite_only" });
      const invite = (await as(admin)("POST", "/v1/admin/invites", { maxUses: 3 })).body;
      const revoked = await as(admin)("DELETE", `/v1/admin/invites/${invite.id}`);
      assert.ok(revoked.body.revokedAt);
      // The shortest lifetime is a minute: this one is aged in the database instead of waited for.
      const expired = (await as(admin)("POST", "/v1/admin/invites", { expiresInSeconds: 60 })).body;
      assert.equal(expired.expiresAt - expired.createdAt, 60_000);
      await d.sql("UPDATE invites SET expires_at = $1 WHERE id = $2", [Date.now() - 1, expired.id]);
      const cases: [string, string][] = [
        [expired.token, "expired"],
        [invite.token, "revoked"],
        [`${invite.id}.not-the-secret`, "unknown"],
        ["garbage", "unknown"],
      ];
      for (const [token, reason] of cases) {
        const res = await http(d.node, "POST", "/v1/auth/register", { username: "intruder", password: PASSWORD, invite: token });
        assert.equal(res.status, 403);
        assert.deepEqual([res.body.error.code, res.body.error.details.reason], ["invalid_invite", reason]);
      }
      const users = (await as(admin)("GET", "/v1/admin/users?query=intruder")).body.users;
      assert.deepEqual(users, []);
      const invites = (await as(admin)("GET", "/v1/admin/invites")).body.invites;
      assert.equal(invites.find((i: { id: string }) => i.id === invite.id).uses, 0);
      await as(admin)("PATCH", "/v1/admin/settings", { registration: "open" });
    });

    it("lets users change their password (old one required, other sessions revoked) and display name", async () => {
      const bob = await register(d.node);
      const second = await login(d.node, bob.user.username);
      const sessions = (await http(d.node, "GET", "/v1/me/sessions", undefined, bob.accessToken)).body.sessions;
      assert.equal(sessions.length, 2);
      assert.equal(sessions.find((s: { current: boolean }) => s.current).id, bob.sessionId);
      const wrong = await http(
        d.node,
        "POST",
        "/v1/me/password",
        { oldPassword: "wrong one", newPassword: "brand new pw" },
        bob.accessToken,
      );
      assert.equal(wrong.status, 403);
      assert.equal(wrong.body.error.code, "wrong_password");
      assert.equal((await http(d.node, "GET", "/v1/me", undefined, second.accessToken)).status, 200, "nothing changed");
      const live = await connectVia("ws", d.other, second.accessToken);
      const changed = await http(
        d.node,
        "POST",
        "/v1/me/password",
        { oldPassword: PASSWORD, newPassword: "brand new pw" },
        bob.accessToken,
      );
      assert.equal(changed.status, 200);
      assert.equal(await live.closed, 4102, "the other device's connection is closed");
      assert.equal((await http(d.node, "GET", "/v1/me", undefined, second.accessToken)).status, 401);
      assert.equal((await http(d.node, "GET", "/v1/me", undefined, bob.accessToken)).status, 200, "this device stays");
      const relog = await http(d.node, "POST", "/v1/auth/login", { username: bob.user.username, password: "brand new pw" });
      assert.equal(relog.status, 200);
      const renamed = await http(d.node, "PATCH", "/v1/me", { displayName: "Bobby" }, bob.accessToken);
      assert.equal(renamed.body.displayName, "Bobby");
      const revoked = await http(d.node, "DELETE", `/v1/me/sessions/${relog.body.sessionId}`, undefined, bob.accessToken);
      assert.deepEqual(
        revoked.body.sessions.map((s: { id: string }) => s.id),
        [bob.sessionId],
      );
      assert.equal((await http(d.node, "GET", "/v1/me", undefined, relog.body.accessToken)).status, 401);
    });

    it("deactivates a user: every connection closed within a second on every node, sign-in refused, messages kept", async () => {
      const carol = await register(d.node);
      const phone = await login(d.node, carol.user.username);
      const { id: conversationId } = (
        await http(d.node, "POST", "/v1/conversations/direct", { userId: alice.user.id }, carol.accessToken)
      ).body;
      await http(
        d.node,
        "POST",
        `/v1/conversations/${conversationId}/messages`,
        { clientId: "c1", body: "kept" },
        carol.accessToken,
      );
      const connections = await Promise.all([
        ...TRANSPORTS.map((t) => connectVia(t, d.other, carol.accessToken)),
        connectVia("ws", d.node, phone.accessToken),
      ]);
      const started = Date.now();
      const res = await as(admin)("POST", `/v1/admin/users/${carol.user.id}/deactivate`);
      assert.equal(res.status, 200);
      assert.equal(res.body.deactivated, true);
      const codes = await Promise.all(connections.map((c) => c.closed));
      assert.deepEqual(codes, [4103, 4103, 4103]);
      assert.ok(Date.now() - started < 1000, `closed after ${Date.now() - started} ms`);

      const signIn = await http(d.other, "POST", "/v1/auth/login", { username: carol.user.username, password: PASSWORD });
      assert.deepEqual([signIn.status, signIn.body.error.code], [403, "account_deactivated"]);
      const wrongPassword = await http(d.other, "POST", "/v1/auth/login", {
        username: carol.user.username,
        password: "nope nope",
      });
      assert.equal(wrongPassword.body.error.code, "invalid_credentials", "said only to whoever knows the password");
      const oldToken = await http(d.node, "GET", "/v1/me", undefined, carol.accessToken);
      assert.deepEqual([oldToken.status, oldToken.body.error.code], [403, "account_deactivated"]);
      const refresh = await http(d.node, "POST", "/v1/auth/refresh", { refreshToken: phone.refreshToken });
      assert.equal(refresh.body.error.code, "account_deactivated");
      const hello = await connectVia("ws", d.node, carol.accessToken).catch((error: Error) => error);
      assert.match(String(hello), /4103|account_deactivated|closed/);

      const seen = (await http(d.node, "POST", "/v1/users/lookup", { userIds: [carol.user.id] }, alice.accessToken)).body
        .users[0];
      assert.equal(seen.deactivated, true);
      const history = await http(d.node, "GET", `/v1/conversations/${conversationId}/messages`, undefined, alice.accessToken);
      assert.ok(history.body.messages.some((m: { body: string }) => m.body === "kept"));
      const link = await as(admin)("POST", `/v1/admin/users/${carol.user.id}/reset-link`);
      assert.equal(link.body.error.code, "account_deactivated");

      const back = await as(admin)("POST", `/v1/admin/users/${carol.user.id}/reactivate`);
      assert.equal(back.body.deactivated, undefined);
      assert.equal(back.body.deactivatedAt, null);
      assert.equal((await login(d.other, carol.user.username)).user.id, carol.user.id);
      const self = await as(admin)("POST", `/v1/admin/users/${admin.user.id}/deactivate`);
      assert.equal(self.body.error.code, "conflict");
    });

    it("refuses to put a deactivated user in a new group, an existing one or a new direct chat", async () => {
      const dave = await register(d.node);
      const erin = await register(d.node);
      const { id: groupId } = (await as(alice)("POST", "/v1/conversations/group", { title: "team", memberIds: [erin.user.id] }))
        .body;
      assert.equal((await as(admin)("POST", `/v1/admin/users/${dave.user.id}/deactivate`)).status, 200);
      const refused = [
        await as(alice)("POST", "/v1/conversations/direct", { userId: dave.user.id }),
        await as(alice)("POST", "/v1/conversations/group", { title: "new", memberIds: [erin.user.id, dave.user.id] }),
        await as(alice)("POST", `/v1/conversations/${groupId}/members`, { userIds: [dave.user.id] }),
      ];
      assert.deepEqual(
        refused.map((r) => [r.status, r.body.error.code, r.body.error.details.reason, r.body.error.details.userId]),
        refused.map(() => [403, "not_allowed", "deactivated", dave.user.id]),
      );
      const members = (await as(alice)("GET", `/v1/conversations/${groupId}`)).body.members.map(
        (m: { userId: string }) => m.userId,
      );
      assert.ok(!members.includes(dave.user.id), "added anyway");
      assert.equal((await as(admin)("POST", `/v1/admin/users/${dave.user.id}/reactivate`)).status, 200);
      assert.equal((await as(alice)("POST", "/v1/conversations/direct", { userId: dave.user.id })).status, 200);
    });

    it("issues one-time password-reset links: a reused or stale link is refused and changes nothing", async () => {
      const dave = await register(d.node);
      const old = (await as(admin)("POST", `/v1/admin/users/${dave.user.id}/reset-link`)).body;
      const link = (await as(admin)("POST", `/v1/admin/users/${dave.user.id}/reset-link`)).body;
      const stale = await http(d.node, "POST", "/v1/auth/reset-password", { token: old.token, password: "stale link pw" });
      assert.deepEqual([stale.status, stale.body.error.code], [400, "invalid_reset_token"]);
      const used = await http(d.node, "POST", "/v1/auth/reset-password", { token: link.token, password: "fresh new pw" });
      assert.equal(used.status, 200);
      assert.equal(used.body.user.id, dave.user.id);
      assert.equal((await http(d.node, "GET", "/v1/me", undefined, dave.accessToken)).status, 401, "old sessions revoked");
      const reused = await http(d.node, "POST", "/v1/auth/reset-password", { token: link.token, password: "another pw 2" });
      assert.equal(reused.body.error.code, "invalid_reset_token");
      const signIn = await http(d.node, "POST", "/v1/auth/login", { username: dave.user.username, password: "fresh new pw" });
      assert.equal(signIn.status, 200, "the password is the one the link set");
    });

    it("keeps an audit log of administrator actions: paginated, exportable as JSON lines and CSV", async () => {
      const all = await audit();
      const actions = new Set(all.map((e) => e.action));
      for (const action of [
        "admin.granted",
        "admin.revoked",
        "user.created",
        "user.deactivated",
        "user.reactivated",
        "user.reset_link",
        "settings.updated",
        "invite.created",
        "invite.revoked",
      ]) {
        assert.ok(actions.has(action), `${action} is audited`);
      }
      const page = (await as(admin)("GET", "/v1/admin/audit?limit=3")).body;
      assert.equal(page.entries.length, 3);
      const next = (await as(admin)("GET", `/v1/admin/audit?limit=3&before=${page.next}`)).body;
      assert.ok(next.entries.every((e: { id: number }) => e.id < page.next));
      const deactivation = all.find((e) => e.action === "user.deactivated") as unknown as { actorId: string; at: number };
      assert.equal(deactivation.actorId, admin.user.id);

      const jsonl = await fetch(`${d.other.url}/v1/admin/audit/export?format=jsonl`, {
        headers: { authorization: `Bearer ${admin.accessToken}` },
      });
      assert.equal(jsonl.status, 200);
      assert.match(jsonl.headers.get("content-disposition") ?? "", /attachment; filename="parley-audit-.*\.jsonl"/);
      const lines = (await jsonl.text())
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      assert.equal(lines.length, all.length);
      assert.deepEqual(lines[0], all[0]);
      const csv = await fetch(`${d.node.url}/v1/admin/audit/export?format=csv`, {
        headers: { authorization: `Bearer ${admin.accessToken}` },
      });
      const rows = (await csv.text()).trim().split("\r\n");
      assert.equal(rows[0], "id,at,actorId,action,target,details");
      assert.equal(rows.length, all.length + 1);
      const forbidden = await fetch(`${d.node.url}/v1/admin/audit/export`, {
        headers: { authorization: `Bearer ${alice.accessToken}` },
      });
      assert.equal(forbidden.status, 403);
      const anonymous = await fetch(`${d.node.url}/v1/admin/audit/export`);
      assert.equal(anonymous.status, 401);
    });
  });
}
