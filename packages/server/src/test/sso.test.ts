// Single sign-on (issue 20) against a real OpenID Provider (oidc-provider, in this process): the redirect flow with
// PKCE, accounts created and reused by (issuer, subject), and what must be refused — an ID token from another issuer,
// with a bad signature or expired, a replayed state or code — each with its documented error and no account made.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import { decodeJwt, generateKeyPair, importJWK, SignJWT } from "jose";
import { freePort, probePostgres, probeRedis } from "./cluster-harness.js";
import { http, register, startTestCluster, startTestServer, type TestServer } from "./harness.js";
import { signInAtProvider, startOidcProvider, type TestOidcProvider } from "./oidc-provider.js";
import { requireService } from "./services.js";

const clusterAvailable = await requireService("single sign-on on a cluster (PostgreSQL, Redis)", async () => {
  await probePostgres();
  await probeRedis();
});

const CALLBACK = "/v1/auth/sso/callback";

interface Deployment {
  server: TestServer;
  idp: TestOidcProvider;
  callbackUrl: string;
  close(): Promise<void>;
}

/** The settings of a Parley server whose callback is `callbackUrl`, signing in with `idp`. */
function ssoSettings(idp: TestOidcProvider, callbackUrl: string) {
  return {
    oidcIssuer: idp.issuer,
    oidcClientId: idp.clientId,
    oidcClientSecret: idp.clientSecret,
    oidcRedirectUrl: callbackUrl,
    oidcName: "Test IdP",
  };
}

async function deploy(overrides: Parameters<typeof startTestServer>[0] = {}): Promise<Deployment> {
  // The provider registers the callback before Parley starts, so Parley's port is chosen first.
  const port = await freePort();
  const callbackUrl = `http://127.0.0.1:${port}${CALLBACK}`;
  const idp = await startOidcProvider(callbackUrl);
  const server = await startTestServer({ port, ...ssoSettings(idp, callbackUrl), ...overrides });
  const close = async () => {
    await server.close();
    await idp.close();
  };
  return { server, idp, callbackUrl, close };
}

/** The fragment Parley's redirect hands the web app (`/#sso_code=…` or `/#sso_error=…&reason=…`). */
async function redirectFragment(url: string): Promise<URLSearchParams> {
  const res = await fetch(url, { redirect: "manual" });
  assert.equal(res.status, 303, `${url}: expected a redirect`);
  const location = res.headers.get("location") ?? "";
  assert.ok(location.startsWith("/#"), `redirect to the web app, got ${location}`);
  return new URLSearchParams(location.slice(2));
}

/** Start → provider login and consent → the callback URL the provider sends the browser to (not yet visited). */
async function throughProvider(d: Deployment, login: string): Promise<string> {
  const start = await fetch(`${d.server.url}/v1/auth/sso/start`, { redirect: "manual" });
  assert.equal(start.status, 303);
  const providerUrl = new URL(start.headers.get("location")!);
  assert.equal(providerUrl.origin, d.idp.issuer, "start redirects to the provider");
  assert.equal(providerUrl.searchParams.get("code_challenge_method"), "S256", "PKCE");
  assert.ok(providerUrl.searchParams.get("state") && providerUrl.searchParams.get("nonce"), "state and nonce");
  return signInAtProvider(providerUrl.href, login, d.callbackUrl);
}

async function exchange(d: Deployment, code: string) {
  return http(d.server, "POST", "/v1/auth/sso/exchange", { code, deviceName: "sso test" });
}

async function signIn(d: Deployment, login: string): Promise<AuthResult> {
  const fragment = await redirectFragment(await throughProvider(d, login));
  const code = fragment.get("sso_code");
  assert.ok(code, `signed in, got ${fragment}`);
  const res = await exchange(d, code);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as AuthResult;
}

async function userExists(d: Deployment, token: string, username: string): Promise<boolean> {
  const res = await http(d.server, "GET", `/v1/users/by-username/${username}`, undefined, token);
  assert.ok(res.status === 200 || res.status === 404, `users.get: ${res.status}`);
  return res.status === 200;
}

/** Re-signs the provider's ID token with `change` applied to its claims, by `key` (the provider's own by default). */
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

function resign(d: Deployment, change: (claims: Record<string, unknown>) => void, key?: PrivateKey) {
  return async (idToken: string) => {
    const claims = decodeJwt(idToken) as Record<string, unknown>;
    change(claims);
    const signingKey = key ?? ((await importJWK(d.idp.signingKey, "RS256")) as PrivateKey);
    return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: d.idp.signingKey.kid! }).sign(signingKey);
  };
}

describe("single sign-on with OpenID Connect", () => {
  let d: Deployment;
  let admin: AuthResult;
  before(async () => {
    d = await deploy();
  });
  after(() => d.close());

  it("auth.sso advertises the provider", async () => {
    const res = await http(d.server, "GET", "/v1/auth/sso");
    assert.deepEqual(res.body, { enabled: true, name: "Test IdP", startPath: "/v1/auth/sso/start", ssoOnly: false });
  });

  it("a first sign-in creates the account (the first of the server: its administrator), the next reuses it", async () => {
    admin = await signIn(d, "Ada.Lovelace");
    assert.equal(admin.user.username, "ada_lovelace");
    assert.equal(admin.user.displayName, "Test Ada.Lovelace");
    assert.equal(admin.user.admin, true);
    const me = await http(d.server, "GET", "/v1/me", undefined, admin.accessToken);
    assert.equal(me.body.id, admin.user.id, "the tokens work");
    const again = await signIn(d, "Ada.Lovelace");
    assert.equal(again.user.id, admin.user.id, "same subject, same account");
    assert.notEqual(again.sessionId, admin.sessionId, "a new device session");
  });

  it("a provider username that is taken by a password account gets a new account (no linking by default)", async () => {
    const bob = await register(d.server, "bob");
    const sso = await signIn(d, "bob");
    assert.notEqual(sso.user.id, bob.user.id);
    assert.equal(sso.user.username, "bob_2");
    const password = await http(d.server, "POST", "/v1/auth/login", { username: "bob_2", password: "x".repeat(12) });
    assert.equal(password.body.error.code, "invalid_credentials", "an SSO account has no password");
  });

  it("a replayed state is refused (sso_failed, invalid_state), and so is a replayed exchange code", async () => {
    const callback = await throughProvider(d, "replayer");
    const first = await redirectFragment(callback);
    const code = first.get("sso_code")!;
    const replay = await redirectFragment(callback);
    assert.equal(replay.get("sso_error"), "sso_failed");
    assert.equal(replay.get("reason"), "invalid_state");
    assert.equal((await exchange(d, code)).status, 200);
    const again = await exchange(d, code);
    assert.equal(again.status, 401);
    assert.equal(again.body.error.code, "invalid_sso_code");
  });

  const refusals: [string, (d: Deployment) => Promise<(idToken: string) => Promise<string>>][] = [
    ["an ID token from another issuer", async (d) => resign(d, (c) => (c["iss"] = "https://evil.example"))],
    [
      "an ID token with a bad signature (a key the provider's discovery does not list)",
      async (d) => resign(d, () => {}, (await generateKeyPair("RS256")).privateKey),
    ],
    [
      "a tampered ID token (its claims changed after signing)",
      async () => async (idToken) => {
        const [header, payload, signature] = idToken.split(".");
        const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
        claims.sub = "someone-else";
        return `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${signature}`;
      },
    ],
    [
      "an expired ID token",
      async (d) =>
        resign(d, (c) => {
          const now = Math.floor(Date.now() / 1000);
          c["iat"] = now - 7200;
          c["exp"] = now - 3600;
        }),
    ],
  ];
  for (const [title, tamper] of refusals) {
    it(`${title} is refused (sso_failed, invalid_response) and creates no account`, async () => {
      const login = `refused_${refusals.findIndex(([t]) => t === title)}`;
      d.idp.tamper = await tamper(d);
      try {
        const fragment = await redirectFragment(await throughProvider(d, login));
        assert.equal(fragment.get("sso_error"), "sso_failed", `${fragment}`);
        assert.equal(fragment.get("reason"), "invalid_response");
        assert.equal(fragment.get("sso_code"), null);
      } finally {
        d.idp.tamper = undefined;
      }
      assert.equal(await userExists(d, admin.accessToken, login), false);
      assert.equal(await userExists(d, admin.accessToken, "someone_else"), false);
      // The same provider answer untampered signs in: the refusal was the tampering's.
      assert.equal((await signIn(d, login)).user.username, login);
    });
  }

  it("a deactivated account is refused", async () => {
    const user = await signIn(d, "leaver");
    const off = await http(d.server, "POST", `/v1/admin/users/${user.user.id}/deactivate`, {}, admin.accessToken);
    assert.equal(off.status, 200, JSON.stringify(off.body));
    const fragment = await redirectFragment(await throughProvider(d, "leaver"));
    assert.equal(fragment.get("sso_error"), "account_deactivated");
  });

  it("closed registration refuses new accounts but lets linked ones sign in", async () => {
    const closed = await http(d.server, "PATCH", "/v1/admin/settings", { registration: "closed" }, admin.accessToken);
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    try {
      const fragment = await redirectFragment(await throughProvider(d, "newcomer"));
      assert.equal(fragment.get("sso_error"), "registration_closed");
      assert.equal(await userExists(d, admin.accessToken, "newcomer"), false);
      assert.equal((await signIn(d, "Ada.Lovelace")).user.id, admin.user.id);
    } finally {
      await http(d.server, "PATCH", "/v1/admin/settings", { registration: "open" }, admin.accessToken);
    }
  });
});

describe("single sign-on options", () => {
  it("PARLEY_OIDC_LINK_BY_USERNAME links a first sign-in to the account of that username", async () => {
    const d = await deploy({ oidcLinkByUsername: true });
    try {
      const carol = await register(d.server, "carol");
      assert.equal((await signIn(d, "carol")).user.id, carol.user.id);
      assert.equal((await signIn(d, "carol")).user.id, carol.user.id, "linked by subject from now on");
    } finally {
      await d.close();
    }
  });

  it("SSO-only refuses password sign-in, registration and reset links with sso_only; SSO still signs in", async () => {
    const d = await deploy({ ssoOnly: true });
    try {
      assert.equal((await http(d.server, "GET", "/v1/auth/sso")).body.ssoOnly, true);
      const signedIn = await signIn(d, "only");
      const answers = [
        await http(d.server, "POST", "/v1/auth/login", { username: signedIn.user.username, password: "whatever-pass" }),
        await http(d.server, "POST", "/v1/auth/register", { username: "newbie", password: "correct horse battery" }),
        await http(d.server, "POST", "/v1/auth/reset-password", { token: "a.b", password: "correct horse battery" }),
      ];
      for (const answer of answers) {
        assert.equal(answer.status, 403);
        assert.equal(answer.body.error.code, "sso_only");
      }
    } finally {
      await d.close();
    }
  });

  it("without SSO configured: auth.sso says so, start and exchange answer sso_not_configured", async () => {
    const server = await startTestServer();
    try {
      assert.deepEqual((await http(server, "GET", "/v1/auth/sso")).body, { enabled: false, ssoOnly: false });
      const exchanged = await http(server, "POST", "/v1/auth/sso/exchange", { code: "anything" });
      assert.equal(exchanged.body.error.code, "sso_not_configured");
      const start = await fetch(`${server.url}/v1/auth/sso/start`, { redirect: "manual" });
      assert.equal(start.headers.get("location"), "/#sso_error=sso_not_configured");
    } finally {
      await server.close();
    }
  });
});

describe("single sign-on on a cluster (PostgreSQL + Redis)", { skip: !clusterAvailable && "services unavailable" }, () => {
  it("a sign-in started on one node finishes on the other; state and code are single use across nodes", async () => {
    const port = await freePort();
    const callbackUrl = `http://127.0.0.1:${port}${CALLBACK}`;
    const idp = await startOidcProvider(callbackUrl);
    const jwtSecret = "cluster-sso-test-secret-0123456789abcdef";
    // Node "a" is the one the provider sends browsers back to; the sign-ins start at node "b".
    const cluster = await startTestCluster({
      label: "sso",
      nodeIds: ["a"],
      config: { port, jwtSecret, ...ssoSettings(idp, callbackUrl) },
    });
    const [a] = cluster.nodes;
    assert.ok(a);
    const b = await startTestServer({
      ...ssoSettings(idp, callbackUrl),
      nodeId: "b",
      jwtSecret,
      databaseUrl: a.config.databaseUrl,
      databaseSchema: cluster.schema,
      redisUrl: a.config.redisUrl,
      clusterPrefix: cluster.prefix,
    });
    try {
      const onB: Deployment = { server: b, idp, callbackUrl, close: async () => {} };
      const onA: Deployment = { ...onB, server: a };
      const callback = await throughProvider(onB, "grace");
      const code = (await redirectFragment(callback)).get("sso_code");
      assert.ok(code, "node a finished the sign-in node b started");
      assert.equal((await redirectFragment(callback)).get("reason"), "invalid_state", "the state is used up on every node");
      const signedIn = await exchange(onB, code);
      assert.equal(signedIn.status, 200);
      assert.equal((await exchange(onA, code)).body.error.code, "invalid_sso_code", "the code is used up on every node");
      assert.equal((await signIn(onA, "grace")).user.id, signedIn.body.user.id, "the identity is linked in the shared store");
    } finally {
      await b.close();
      await cluster.close();
      await idp.close();
    }
  });
});
