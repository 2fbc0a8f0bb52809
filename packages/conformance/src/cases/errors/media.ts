// Error cases of uploads and downloads: sizes, types, names, image bombs, signed URLs and ranges.

import { setTimeout as sleep } from "node:timers/promises";
import { type Case, perTransport } from "../../case.js";
import type { Ctx } from "../../context.js";
import { EICAR_TEST_FILE } from "../../eicar.js";
import { asOutcome, check, expectError, expectOk, Skip } from "../../expect.js";
import { httpHeadersOnly, httpRaw, type Json } from "../../wire.js";
import { upload } from "../operations.js";

/** A fresh upload of alice's and its signed download URL. */
async function signedUpload(ctx: Ctx): Promise<{ file: Json; signed: Json }> {
  const file = await upload(ctx, ctx.alice);
  const signed = expectOk(await ctx.call(ctx.alice, "files.sign", { uploadIds: [file.id] }, "ws")).files[0];
  return { file, signed };
}

export const mediaErrorCases: Case[] = [
  {
    id: "upload_too_large: a Content-Length over limits.maxUploadBytes, refused before the body [http]",
    covers: { errors: ["upload_too_large"] },
    async run(ctx) {
      const answer = await httpHeadersOnly(ctx.base, "POST", "/v1/uploads?name=big.bin", {
        authorization: `Bearer ${await ctx.alice.token()}`,
        "content-type": "application/octet-stream",
        "content-length": String(ctx.limits.maxUploadBytes + 1),
      });
      expectError(asOutcome("uploads.complete", answer), "upload_too_large");
    },
  },
  ...(
    [
      ["empty_upload", "an empty body", "text/plain", "", "a.txt"],
      ["unsupported_media_type", "a multipart form", "multipart/form-data; boundary=x", "--x--", "a.txt"],
      ["content_type_mismatch", "text declared as image/png", "image/png", "just text", "a.png"],
      ["invalid_file_name", "the name ..", "text/plain", "text", ".."],
    ] as const
  ).map(
    ([code, title, type, body, name]): Case => ({
      id: `${code}: ${title} [http]`,
      covers: { errors: [code] },
      async run(ctx) {
        const answer = await httpRaw(ctx.base, "POST", `/v1/uploads?name=${encodeURIComponent(name)}`, {
          headers: { authorization: `Bearer ${await ctx.alice.token()}`, "content-type": type },
          body,
        });
        expectError(asOutcome("uploads.complete", answer), code);
      },
    }),
  ),
  {
    id: "suspicious_image: a 4800×4800 GIF of a few dozen bytes [http]",
    covers: { errors: ["suspicious_image"] },
    async run(ctx) {
      // A well-formed GIF header and image descriptor announcing 23 million pixels, with almost no image data (§17.2).
      const size = [0xc0, 0x12, 0xc0, 0x12];
      const gif = Buffer.from([
        ...Buffer.from("GIF89a"),
        ...size,
        0x80,
        0,
        0,
        ...[0, 0, 0, 255, 255, 255],
        0x2c,
        0,
        0,
        0,
        0,
        ...size,
        0,
        2,
        2,
        0x4c,
        0x01,
        0,
        0x3b,
      ]);
      const answer = await httpRaw(ctx.base, "POST", "/v1/uploads?name=sparse.gif", {
        headers: { authorization: `Bearer ${await ctx.alice.token()}`, "content-type": "image/gif" },
        body: gif,
      });
      expectError(asOutcome("uploads.complete", answer), "suspicious_image");
    },
  },
  {
    id: "upload_infected: the EICAR anti-virus test file [http]",
    covers: { errors: ["upload_infected"] },
    async run(ctx) {
      const answer = await httpRaw(ctx.base, "POST", "/v1/uploads?name=eicar.com.txt", {
        headers: { authorization: `Bearer ${await ctx.alice.token()}`, "content-type": "text/plain" },
        body: EICAR_TEST_FILE,
      });
      if (answer.status === 201) throw new Skip("the server does not scan uploads for malware (PARLEY_CLAMD_ADDRESS)");
      expectError(asOutcome("uploads.complete", answer), "upload_infected");
      check(typeof answer.body?.error?.details?.signature === "string", "upload_infected without details.signature");
    },
  },
  {
    id: "invalid_signature: an altered download URL [http]",
    covers: { errors: ["invalid_signature"] },
    async run(ctx) {
      const { file, signed } = await signedUpload(ctx);
      const altered = signed.url.replace(/sig=([^&])/, (_: string, c: string) => `sig=${c === "A" ? "B" : "A"}`);
      expectError(asOutcome("files.sign", await httpRaw(ctx.base, "GET", altered)), "invalid_signature");
      expectError(asOutcome("files.sign", await httpRaw(ctx.base, "GET", `/v1/files/${file.id}`)), "invalid_signature");
    },
  },
  {
    id: "signature_expired: a download URL after expiresAt [http]",
    covers: { errors: ["signature_expired"] },
    async run(ctx) {
      const { signed } = await signedUpload(ctx);
      const waitMs = signed.expiresAt - Date.now() + 1500;
      if (waitMs > ctx.maxWaitMs)
        throw new Skip(
          `download URLs live ${Math.round(waitMs / 1000)} s here (PARLEY_FILE_URL_TTL_SECONDS), over --max-wait-ms`,
        );
      await sleep(waitMs);
      expectError(asOutcome("files.sign", await httpRaw(ctx.base, "GET", signed.url)), "signature_expired");
    },
  },
  ...perTransport(
    "uploads.presign",
    "not_supported: direct uploads without an object store",
    { errors: ["not_supported"] },
    async (ctx, t) => {
      const outcome = await ctx.call(ctx.alice, "uploads.presign", { name: "a.txt", size: 5 }, t);
      if (outcome.result) throw new Skip("the server offers direct uploads (an S3 store): not_supported cannot be provoked");
      expectError(outcome, "not_supported");
    },
  ),
  {
    id: "range_not_satisfiable: a Range outside the file [http]",
    covers: { errors: ["range_not_satisfiable"] },
    async run(ctx) {
      const { file, signed } = await signedUpload(ctx);
      const answer = await httpRaw(ctx.base, "GET", signed.url, { headers: { range: "bytes=1000-2000" } });
      if (answer.status === 302)
        throw new Skip("the server redirects downloads to its object store, which answers ranges itself");
      expectError(asOutcome("files.sign", answer), "range_not_satisfiable");
      check(answer.headers.get("content-range") === `bytes */${file.size}`, "416 without Content-Range: bytes */<size>");
    },
  },
];
