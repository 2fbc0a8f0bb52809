// One bounded GET of a URL a user named (link previews): the SSRF rules of push delivery (publicUrlProblem before
// every hop, redirects included, and publicOnlyLookup when connecting), http(s) only, a deadline for the whole chain,
// a content-type check before the body is read and a byte limit while it is read.

import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { PRIVATE_ADDRESS_CODE, publicOnlyLookup } from "../../domain/public-lookup.js";
import { publicUrlProblem } from "../../domain/push-endpoint.js";

/** Why a fetch gave nothing usable (`details.reason` of `link_preview_unavailable`). */
export type FetchFailure = "blocked" | "network" | "timeout" | "status" | "not_html" | "too_large";

export class FetchRefused extends Error {
  constructor(
    readonly reason: FetchFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface FetchOptions {
  /** Whether the response's media type (lower case, without parameters) is wanted; otherwise `wrongType`. */
  accept: (mediaType: string) => boolean;
  wrongType: FetchFailure;
  maxBytes: number;
  /** For the whole chain of redirects. */
  timeoutMs: number;
  allowPrivate: boolean;
  maxRedirects?: number;
}

export interface Fetched {
  /** The URL that answered (after redirects). */
  url: string;
  mediaType: string;
  /** The `charset` parameter of the content type, if any. */
  charset: string | undefined;
  body: Buffer;
}

const USER_AGENT = "Parley-LinkPreview/1 (+https://github.com/parley)";
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function fetchResource(url: string, options: FetchOptions): Promise<Fetched> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  let current = url;
  for (let hop = 0; hop <= (options.maxRedirects ?? 5); hop++) {
    const problem = publicUrlProblem(current, { allowPrivate: options.allowPrivate, http: true, noun: "the URL" });
    if (problem) throw new FetchRefused("blocked", problem);
    const res = await get(current, deadline, options.allowPrivate);
    const status = res.statusCode ?? 0;
    if (REDIRECTS.has(status) && typeof res.headers.location === "string") {
      res.resume();
      current = new URL(res.headers.location, current).href;
      continue;
    }
    if (status < 200 || status > 299) {
      res.resume();
      throw new FetchRefused("status", `the page answered ${status}`);
    }
    const [type = "", ...params] = (res.headers["content-type"] ?? "").split(";");
    const mediaType = type.trim().toLowerCase();
    if (!options.accept(mediaType)) {
      res.destroy();
      throw new FetchRefused(options.wrongType, `unexpected content type ${mediaType || "(none)"}`);
    }
    const charset = params
      .map((p) => p.trim().toLowerCase())
      .find((p) => p.startsWith("charset="))
      ?.slice(8)
      .replace(/"/g, "");
    const body = await read(res, options.maxBytes, deadline);
    return { url: current, mediaType, charset, body };
  }
  throw new FetchRefused("status", "too many redirects");
}

function get(url: string, signal: AbortSignal, allowPrivate: boolean): Promise<IncomingMessage> {
  const request = url.startsWith("http:") ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "GET",
        headers: { "user-agent": USER_AGENT, accept: "text/html,application/xhtml+xml,image/*;q=0.8" },
        lookup: publicOnlyLookup(allowPrivate) as never,
        signal,
      },
      resolve,
    );
    req.on("error", (error: NodeJS.ErrnoException) => reject(refusal(error, signal)));
    req.end();
  });
}

function read(res: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const declared = Number(res.headers["content-length"]);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.destroy();
    return Promise.reject(new FetchRefused("too_large", `more than ${maxBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Settled before the socket is destroyed, whose error would otherwise read as a network failure.
        reject(new FetchRefused("too_large", `more than ${maxBytes} bytes`));
        res.destroy();
        return;
      }
      chunks.push(chunk);
    });
    res.on("end", () => resolve(Buffer.concat(chunks)));
    res.on("error", (error: NodeJS.ErrnoException) => reject(refusal(error, signal)));
    res.on("aborted", () => reject(refusal(new Error("aborted"), signal)));
  });
}

function refusal(error: NodeJS.ErrnoException, signal: AbortSignal): FetchRefused {
  if (error instanceof FetchRefused) return error;
  if (error.code === PRIVATE_ADDRESS_CODE) return new FetchRefused("blocked", error.message);
  if (signal.aborted) return new FetchRefused("timeout", "the page took too long to answer");
  return new FetchRefused("network", error.code ?? error.message);
}
