// The browser's two visits of a single sign-on (docs/protocol.md §6.12): `start` sends it to the provider, `callback`
// is where the provider sends it back. Both are redirects, not JSON: the web app at `/` learns the outcome from the
// fragment (`#sso_code=…` or `#sso_error=<code>&reason=…`), which never reaches a server log or a Referer.

import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config/index.js";
import { AppError } from "../domain/app-error.js";
import type { Services } from "../services/index.js";
import { SSO_CALLBACK_PATH, SSO_START_PATH } from "../services/sso-service.js";
import { addressKey, clientAddress } from "./security.js";

export function registerSsoRoutes(app: FastifyInstance, services: Services, config: Config): void {
  const visit = (work: (request: FastifyRequest) => Promise<string>) => async (request: FastifyRequest, reply: FastifyReply) => {
    let location: string;
    try {
      await services.limits.auth("auth.sso", addressKey(clientAddress(request.raw, config.trustProxy)));
      location = await work(request);
    } catch (error) {
      if (!(error instanceof AppError)) request.log.error({ err: error }, "single sign-on failed");
      const fragment = new URLSearchParams({ sso_error: error instanceof AppError ? error.code : "internal" });
      const reason = error instanceof AppError ? error.details?.["reason"] : undefined;
      if (typeof reason === "string") fragment.set("reason", reason);
      location = `/#${fragment}`;
    }
    return reply.header("cache-control", "no-store").header("referrer-policy", "no-referrer").redirect(location, 303);
  };
  app.get(
    SSO_START_PATH,
    visit(() => services.sso.start()),
  );
  app.get(
    SSO_CALLBACK_PATH,
    visit(async (request) => {
      const query = new URLSearchParams(request.url.slice(request.url.indexOf("?") + 1 || request.url.length));
      return `/#${new URLSearchParams({ sso_code: await services.sso.callback(query) })}`;
    }),
  );
}
