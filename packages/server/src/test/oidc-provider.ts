// A real OpenID Provider for the single sign-on tests: oidc-provider (certified) on a loopback port with test keys,
// one confidential client, and its development login and consent pages (any login, any password). A test can change
// the ID token the token endpoint answers (`tamper`) to check that Parley refuses it.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import Provider from "oidc-provider";

export interface TestOidcProvider {
  /** The issuer URL (http://127.0.0.1:<port>). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The provider's signing key (private JWK with its `kid`), to sign altered tokens that still verify. */
  signingKey: JWK;
  /** When set, replaces the `id_token` of every token response. */
  tamper: ((idToken: string) => Promise<string>) | undefined;
  close(): Promise<void>;
}

/** Starts the provider; `redirectUri` is the callback registered for the client (the Parley server's). */
export async function startOidcProvider(redirectUri: string): Promise<TestOidcProvider> {
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const signingKey: JWK = { ...(await exportJWK(privateKey)), kid: "parley-test-key", alg: "RS256", use: "sig" };
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const result: TestOidcProvider = {
    issuer,
    clientId: "parley-test",
    clientSecret: "parley-test-secret-0123456789abcdef",
    signingKey,
    tamper: undefined,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: result.clientId,
        client_secret: result.clientSecret,
        redirect_uris: [redirectUri],
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_post",
      },
    ],
    jwks: { keys: [signingKey] },
    cookies: { keys: ["parley-test-cookie-key"] },
    pkce: { required: () => true },
    claims: { openid: ["sub"], profile: ["name", "preferred_username"], email: ["email", "email_verified"] },
    // The profile claims go into the ID token itself (Parley reads only the ID token).
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: async () => ({ sub: id, preferred_username: id, name: `Test ${id}`, email: `${id}@example.test` }),
    }),
    features: { devInteractions: { enabled: true } },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600 },
  });
  // Its warnings about development keys and pages are expected here.
  provider.on("server_error", (_ctx, error) => console.error("oidc-provider:", error));
  provider.use(async (ctx, next) => {
    await next();
    const body = ctx.body as { id_token?: string } | undefined;
    if (ctx.path === "/token" && result.tamper && typeof body?.id_token === "string") {
      body.id_token = await result.tamper(body.id_token);
    }
  });
  server.on("request", provider.callback());
  return result;
}

/**
 * Walks a sign-in as a browser without scripts would: follows the redirects from `startUrl` with the provider's
 * cookies, fills in the development login form (`login`, any password) and consent form, and stops at the first
 * redirect to `stopAt` (the Parley callback), whose URL it returns.
 */
export async function signInAtProvider(startUrl: string, login: string, stopAt: string): Promise<string> {
  const cookies = new Map<string, string>();
  let url = startUrl;
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    if (url.startsWith(stopAt)) return url;
    const headers = new Headers(init.headers);
    if (cookies.size > 0) headers.set("cookie", [...cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const eq = pair!.indexOf("=");
      cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const location = res.headers.get("location");
    if (location) {
      url = new URL(location, url).href;
      init = {};
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no form at ${url} (HTTP ${res.status}): ${html.slice(0, 300)}`);
    const form = new URLSearchParams({ prompt });
    if (prompt === "login") {
      form.set("login", login);
      form.set("password", "any-password");
    }
    url = new URL(action.replaceAll("&amp;", "&"), url).href;
    init = { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } };
  }
  throw new Error("the sign-in did not come back from the provider in 20 steps");
}
