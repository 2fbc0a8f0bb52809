// A user's own data as a download (`GET /v1/me/export`, docs/protocol.md §6.12): a file, not a JSON answer, so a
// route beside the operation routes, like the audit export; authorized like a user operation and rate-limited as one.

import type { FastifyInstance } from "fastify";
import type { Services } from "../services/index.js";
import { bearer } from "./security.js";

export const ME_EXPORT_PATH = "/v1/me/export";

export function registerExportRoutes(app: FastifyInstance, services: Services): void {
  app.get(ME_EXPORT_PATH, async (request, reply) => {
    const principal = await services.auth.authenticate(bearer(request.raw));
    const limited = services.limits.request(principal.userId, "me.export");
    if (limited) await limited;
    const archive = await services.dataExport.export(principal.userId);
    const day = new Date().toISOString().slice(0, 10);
    return reply
      .header("content-type", "application/gzip")
      .header("content-disposition", `attachment; filename="parley-export-${day}.tar.gz"`)
      .header("cache-control", "no-store")
      .send(archive);
  });
}
