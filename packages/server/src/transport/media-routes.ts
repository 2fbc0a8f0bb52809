// The HTTP endpoints of media: streamed uploads (`POST /v1/uploads`), signed downloads (`GET /v1/files/:id`) and
// profile pictures (`POST /v1/me/avatar`, `GET /v1/avatars/:id`) and link preview thumbnails
// (`GET /v1/link-previews/images/:id`).

import type { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { AppError } from "../domain/app-error.js";
import type { Services } from "../services/index.js";
import { LINK_PREVIEW_IMAGE_PATH } from "../services/link-previews/link-preview-service.js";
import type { Download } from "../services/media-service.js";
import { bearer } from "./security.js";

export const UPLOADS_PATH = "/v1/uploads";
export const AVATAR_PATH = "/v1/me/avatar";

/**
 * Registered in an encapsulated scope so that its "any content type, leave the body as a stream" parser does not
 * change how the JSON API parses bodies.
 */
export async function registerMediaRoutes(app: FastifyInstance, services: Services): Promise<void> {
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_request, payload, done) => done(null, payload));

    scope.post(UPLOADS_PATH, async (request, reply) => {
      const principal = await services.auth.authenticate(bearer(request.raw));
      const limited = services.limits.request(principal.userId, "uploads");
      if (limited) await limited;
      const query = request.query as Record<string, unknown>;
      const headerName = request.headers["x-file-name"];
      let name = typeof query["name"] === "string" ? query["name"] : undefined;
      if (name === undefined && typeof headerName === "string") {
        try {
          name = decodeURIComponent(headerName);
        } catch {
          throw new AppError("invalid_file_name", "X-File-Name must be percent-encoded UTF-8", { field: "name" });
        }
      }
      const declared = request.headers["content-length"];
      if (declared !== undefined && Number(declared) > services.media.maxUploadBytes) {
        // Refused before reading a byte; the connection closes so the client stops sending.
        reply.header("connection", "close");
        throw new AppError("upload_too_large", `The upload exceeds ${services.media.maxUploadBytes} bytes`, {
          limit: services.media.maxUploadBytes,
        });
      }
      const body = request.body as NodeJS.ReadableStream | undefined;
      const stream = body && typeof (body as { pipe?: unknown }).pipe === "function" ? body : request.raw;
      try {
        const result = await services.media.upload(principal.userId, {
          body: stream as Readable,
          name,
          declaredType: request.headers["content-type"],
        });
        return reply.code(201).send(result);
      } catch (error) {
        // The rest of a refused body is not read: close the connection instead of draining it.
        if (!request.raw.readableEnded) reply.header("connection", "close");
        throw error;
      }
    });

    // A profile picture (protocol §6.4): the image's bytes in, the updated User out. Uploads' budget and checks.
    scope.post(AVATAR_PATH, async (request, reply) => {
      const principal = await services.auth.authenticate(bearer(request.raw));
      const limited = services.limits.request(principal.userId, "uploads");
      if (limited) await limited;
      const limit = services.media.maxAvatarBytes;
      const declared = request.headers["content-length"];
      if (declared !== undefined && Number(declared) > limit) {
        reply.header("connection", "close");
        throw new AppError("upload_too_large", `A profile picture may have at most ${limit} bytes`, { limit });
      }
      const body = request.body as NodeJS.ReadableStream | undefined;
      const stream = body && typeof (body as { pipe?: unknown }).pipe === "function" ? body : request.raw;
      try {
        const avatarId = await services.media.storeAvatar(principal.userId, stream as Readable, request.headers["content-type"]);
        return reply.send(await services.accounts.setAvatar(principal.userId, avatarId));
      } catch (error) {
        if (!request.raw.readableEnded) reply.header("connection", "close");
        throw error;
      }
    });

    // Profile pictures are shown to every signed-in user, by <img> tags that send no token: the id (random, and new
    // for every picture) is the capability, and the bytes under it never change.
    scope.get<{ Params: { id: string }; Querystring: { size?: string } }>("/v1/avatars/:id", async (request, reply) => {
      const size = request.query.size;
      if (size !== undefined && size !== "small" && size !== "large") {
        throw new AppError("validation_failed", 'size is "small" or "large"', { field: "size" });
      }
      const download = await services.media.avatarDownload(request.params.id, size === "small");
      reply.header("x-content-type-options", "nosniff");
      if (download.kind === "redirect") return reply.header("cache-control", "no-store").redirect(download.location, 302);
      reply
        .header("content-type", download.contentType)
        .header("content-disposition", download.disposition)
        .header("etag", download.etag)
        .header("cache-control", "public, max-age=31536000, immutable")
        .header("content-length", download.size);
      return reply.send(download.body);
    });

    // Link preview thumbnails, like profile pictures: <img> tags send no token, the random id is the capability.
    scope.get<{ Params: { id: string } }>(`${LINK_PREVIEW_IMAGE_PATH}:id`, async (request, reply) => {
      const image = await services.linkPreviews.image(request.params.id);
      return reply
        .header("x-content-type-options", "nosniff")
        .header("content-type", image.mimeType)
        .header("cache-control", "public, max-age=86400")
        .header("content-length", image.bytes.length)
        .send(image.bytes);
    });

    scope.get<{ Params: { id: string } }>("/v1/files/:id", async (request, reply) => {
      let download: Download;
      try {
        download = await services.media.download(
          request.params.id,
          request.query as Record<string, unknown>,
          request.headers.range,
        );
      } catch (error) {
        if (error instanceof AppError && error.code === "range_not_satisfiable") {
          reply.header("content-range", `bytes */${error.details?.["size"]}`);
        }
        throw error;
      }
      reply.header("x-content-type-options", "nosniff");
      if (download.kind === "redirect") {
        return reply.header("cache-control", "no-store").redirect(download.location, 302);
      }
      reply
        .header("content-type", download.contentType)
        .header("content-disposition", download.disposition)
        .header("accept-ranges", "bytes")
        .header("etag", download.etag)
        // Private: the URL is a capability; immutable bytes, but only for as long as the signature is valid.
        .header("cache-control", "private, max-age=300");
      if (request.headers["if-none-match"] === download.etag && !download.range) {
        download.body.destroy();
        return reply.code(304).send();
      }
      if (download.range) {
        const { start, end } = download.range;
        reply
          .code(206)
          .header("content-range", `bytes ${start}-${end}/${download.size}`)
          .header("content-length", end - start + 1);
      } else {
        reply.header("content-length", download.size);
      }
      return reply.send(download.body);
    });
  });
}
