// Single sign-on in Chromium (issue 20): the web app's "Sign in with <provider>" goes through a real OpenID Provider
// (oidc-provider, started here) — its login and consent pages — and comes back signed in; a refused sign-in (an ID
// token with a bad signature) comes back with the error said in words and no session.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { freePort, startOidcProvider } from "@parley/server/testing";
import { decodeJwt, generateKeyPair, SignJWT } from "jose";
import { browserAvailable, launchChromium, startServer } from "./browser.mjs";

describe("single sign-on in the browser", { skip: !browserAvailable() && "no Chromium" }, () => {
  let idp;
  let server;
  let browser;
  before(async () => {
    const port = await freePort();
    const callbackUrl = `http://127.0.0.1:${port}/v1/auth/sso/callback`;
    idp = await startOidcProvider(callbackUrl);
    server = await startServer({
      port,
      oidcIssuer: idp.issuer,
      oidcClientId: idp.clientId,
      oidcClientSecret: idp.clientSecret,
      oidcRedirectUrl: callbackUrl,
      oidcName: "Test IdP",
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await idp?.close();
  });

  /** A fresh browser profile on the app's sign-in screen, through the provider's login (as `login`) and consent. */
  async function signInThroughProvider(login) {
    const context = await browser.newContext({ baseURL: server.url });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(error));
    await page.goto("/");
    await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
    await page.waitForURL((url) => url.origin === idp.issuer);
    await page.locator('input[name="login"]').fill(login);
    await page.locator('input[name="password"]').fill("any password");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
    await page.waitForURL((url) => url.origin === server.url);
    return { context, page, errors };
  }

  it("signs in through the provider's pages, creating the account, and stays signed in after a reload", async () => {
    const { context, page, errors } = await signInThroughProvider("grace.hopper");
    try {
      await page.locator(".me-username", { hasText: "@grace_hopper" }).waitFor();
      assert.equal(new URL(page.url()).hash, "", "the one-time code left the address bar");
      await page.reload();
      await page.locator(".me-username", { hasText: "@grace_hopper" }).waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  it("a refused sign-in (bad signature) is explained and signs nobody in", async () => {
    const { privateKey } = await generateKeyPair("RS256");
    idp.tamper = (idToken) =>
      new SignJWT(decodeJwt(idToken)).setProtectedHeader({ alg: "RS256", kid: idp.signingKey.kid }).sign(privateKey);
    try {
      const { context, page, errors } = await signInThroughProvider("mallory");
      try {
        await page.getByText("The provider's answer could not be verified").waitFor();
        assert.equal(await page.locator(".me-username").count(), 0);
        assert.equal(new URL(page.url()).hash, "");
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    } finally {
      idp.tamper = undefined;
    }
  });
});
