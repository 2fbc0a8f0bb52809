// File uploads (`POST /v1/uploads`, and profile pictures: `POST /v1/me/avatar`) with progress, in browsers (XMLHttpRequest) and Node (fetch with a stream), and
// a cache of signed download URLs (`files.sign`) that renews them shortly before they expire.

import { type Attachment, type ErrorBody, isErrorCode, type PresignedUpload, type SignedFile, type User } from "@parley/protocol";
import { ParleyError } from "./errors.js";
import type { TokenSource } from "./http-api.js";

/** What can be uploaded: a Blob/File (browser), bytes, or a stream of bytes (not retried after a token refresh). */
export type UploadData = Blob | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface UploadOptions {
  /** The file name shown to others (a plain name: no directories). */
  name: string;
  /** The declared type; a hint only, the server sniffs the bytes (a declared image type the bytes contradict is refused). */
  type?: string;
  /** Called as bytes leave: `sent` so far and the total when known. */
  onProgress?: (sent: number, total: number | undefined) => void;
  /** Total bytes when `data` is a stream (for progress and Content-Length); known by itself for Blobs and bytes. */
  size?: number;
  signal?: AbortSignal;
  /**
   * Send the bytes straight to the server's object store (`uploads.presign`, PUT, `uploads.complete`) when it has one,
   * falling back to `POST /v1/uploads` when it answers `not_supported`. Needs the size (Blob, bytes or `size`). For
   * browsers the bucket must allow the app's origin (CORS).
   */
  direct?: boolean;
}

export type AvatarOptions = Pick<UploadOptions, "type" | "onProgress" | "signal">;

/** The operations direct uploads need, bound to the client's authenticated API. */
export interface DirectUploadApi {
  presign(args: { name: string; size: number; mimeType?: string }): Promise<PresignedUpload>;
  complete(args: { uploadToken: string }): Promise<Attachment>;
}

interface UploadAnswer {
  status: number;
  text: string;
}

interface SendOptions extends UploadOptions {
  method?: "POST" | "PUT";
  headers?: Record<string, string>;
}

/** `token` undefined: a presigned URL, which must not get an Authorization header. */
type Sender = (url: string, token: string | undefined, data: UploadData, options: SendOptions) => Promise<UploadAnswer>;

export class Uploader {
  readonly #baseUrl: string;
  readonly #tokens: TokenSource;

  readonly #direct: DirectUploadApi | undefined;
  /** Set once the server said it takes no direct uploads: later ones go straight to POST /v1/uploads. */
  #directUnsupported = false;

  constructor(baseUrl: string, tokens: TokenSource, direct?: DirectUploadApi) {
    this.#baseUrl = baseUrl.replace(/\/+$/, "");
    this.#tokens = tokens;
    this.#direct = direct;
  }

  async upload(data: UploadData, options: UploadOptions): Promise<Attachment> {
    const size = data instanceof Uint8Array ? data.byteLength : isBlob(data) ? data.size : options.size;
    if (options.direct && this.#direct && !this.#directUnsupported && size !== undefined && replayable(data)) {
      const type = options.type ?? (isBlob(data) && data.type ? data.type : undefined);
      let presigned: PresignedUpload | undefined;
      try {
        presigned = await this.#direct.presign({ name: options.name, size, ...(type ? { mimeType: type } : {}) });
      } catch (error) {
        if (!(error instanceof ParleyError) || error.code !== "not_supported") throw error;
        this.#directUnsupported = true;
      }
      if (presigned) {
        const send: Sender = canUseXhr(data) ? sendWithXhr : sendWithFetch;
        const answer = await send(presigned.url, undefined, data, { ...options, method: "PUT", headers: presigned.headers });
        if (answer.status < 200 || answer.status >= 300) {
          throw new ParleyError("bad_response", `The object store answered ${answer.status} to the upload`, {
            status: answer.status,
            retryable: answer.status >= 500,
          });
        }
        return this.#direct.complete({ uploadToken: presigned.uploadToken });
      }
    }
    return this.#upload(data, options);
  }

  /** A profile picture (`POST /v1/me/avatar`): the server crops and resizes it; the answer is the updated user. */
  async setAvatar(data: Blob | Uint8Array, options: AvatarOptions = {}): Promise<User> {
    return (await this.#post("/v1/me/avatar", data, { ...options, name: "avatar" }, 200)) as User;
  }

  #upload(data: UploadData, options: UploadOptions): Promise<Attachment> {
    return this.#post(`/v1/uploads?name=${encodeURIComponent(options.name)}`, data, options, 201) as Promise<Attachment>;
  }

  async #post(path: string, data: UploadData, options: UploadOptions, success: number): Promise<unknown> {
    const url = `${this.#baseUrl}${path}`;
    const send: Sender = canUseXhr(data) ? sendWithXhr : sendWithFetch;
    const token = await this.#tokens.accessToken();
    if (!token) throw new ParleyError("not_authenticated", "Not signed in");
    let answer = await send(url, token, data, options);
    if (answer.status === 401 && errorOf(answer)?.code === "token_expired" && replayable(data)) {
      answer = await send(url, await this.#tokens.refresh(token), data, options);
    }
    if (answer.status === success) return JSON.parse(answer.text);
    const error = errorOf(answer);
    if (error) throw ParleyError.fromBody(error, answer.status);
    throw new ParleyError("bad_response", `HTTP ${answer.status} from POST ${path.split("?")[0]}`, { status: answer.status });
  }
}

function errorOf(answer: UploadAnswer): ErrorBody | undefined {
  try {
    const body = JSON.parse(answer.text) as { error?: ErrorBody };
    return body.error && isErrorCode(body.error.code) ? body.error : undefined;
  } catch {
    return undefined;
  }
}

const replayable = (data: UploadData) => data instanceof Uint8Array || isBlob(data);

function isBlob(data: unknown): data is Blob {
  return typeof Blob !== "undefined" && data instanceof Blob;
}

function canUseXhr(data: UploadData): boolean {
  return typeof XMLHttpRequest !== "undefined" && (isBlob(data) || data instanceof Uint8Array);
}

/** Browsers: only XMLHttpRequest reports upload progress. */
function sendWithXhr(url: string, token: string | undefined, data: UploadData, options: SendOptions): Promise<UploadAnswer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(options.method ?? "POST", url);
    if (token) {
      xhr.setRequestHeader("authorization", `Bearer ${token}`);
      const type = options.type ?? (isBlob(data) ? data.type : "");
      xhr.setRequestHeader("content-type", type || "application/octet-stream");
    }
    // Browsers set Content-Length themselves (and refuse to be told).
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (name.toLowerCase() !== "content-length") xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (e) => options.onProgress?.(e.loaded, e.lengthComputable ? e.total : undefined);
    xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
    xhr.onerror = () => reject(new ParleyError("network_error", "The upload failed"));
    xhr.onabort = () => reject(new ParleyError("stopped", "The upload was cancelled"));
    options.signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    xhr.send(data as XMLHttpRequestBodyInit);
  });
}

/** Node (and browsers without XHR): fetch with a counting stream as the body. */
async function sendWithFetch(
  url: string,
  token: string | undefined,
  data: UploadData,
  options: SendOptions,
): Promise<UploadAnswer> {
  const total = data instanceof Uint8Array ? data.byteLength : isBlob(data) ? data.size : options.size;
  let sent = 0;
  const source = toIterable(data);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await source.next();
      if (next.done) {
        controller.close();
        return;
      }
      sent += next.value.byteLength;
      options.onProgress?.(sent, total);
      controller.enqueue(next.value);
    },
    async cancel() {
      await source.return?.();
    },
  });
  const headers: Record<string, string> = token
    ? {
        authorization: `Bearer ${token}`,
        "content-type": options.type ?? (isBlob(data) && data.type ? data.type : "application/octet-stream"),
      }
    : {};
  if (total !== undefined) headers["content-length"] = String(total);
  Object.assign(headers, options.headers);
  let response: Response;
  try {
    response = await fetch(url, {
      method: options.method ?? "POST",
      headers,
      body,
      duplex: "half",
      ...(options.signal ? { signal: options.signal } : {}),
    } as RequestInit);
  } catch (error) {
    throw new ParleyError("network_error", `The upload failed: ${String(error)}`, { cause: error });
  }
  return { status: response.status, text: await response.text() };
}

const CHUNK = 64 * 1024;

function toIterable(data: UploadData): AsyncIterator<Uint8Array> {
  if (data instanceof Uint8Array) {
    return (async function* () {
      for (let i = 0; i < data.byteLength; i += CHUNK) yield data.subarray(i, i + CHUNK);
    })();
  }
  if (isBlob(data)) return toIterable(data.stream() as ReadableStream<Uint8Array>);
  if (data instanceof ReadableStream) {
    const reader = data.getReader();
    return {
      async next() {
        const r = await reader.read();
        return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
      },
      async return() {
        await reader.cancel();
        return { done: true, value: undefined };
      },
    };
  }
  return (data as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
}

/** How long before expiry a cached URL is renewed rather than handed out. */
const RENEW_BEFORE_MS = 60_000;

/**
 * Signed URLs by upload id, fetched in batches and reused until a minute before they expire. URLs come back absolute
 * (the server's base URL in front), ready for `<img src>` or a download link.
 */
export class FileUrlCache {
  readonly #cache = new Map<string, SignedFile>();
  readonly #baseUrl: string;
  readonly #sign: (ids: string[]) => Promise<SignedFile[]>;
  readonly #now: () => number;

  constructor(baseUrl: string, sign: (ids: string[]) => Promise<SignedFile[]>, now: () => number = () => Date.now()) {
    this.#baseUrl = baseUrl.replace(/\/+$/, "");
    this.#sign = sign;
    this.#now = now;
  }

  async get(ids: readonly string[]): Promise<Map<string, SignedFile>> {
    const fresh = (f: SignedFile | undefined) => f !== undefined && f.expiresAt - RENEW_BEFORE_MS > this.#now();
    const missing = [...new Set(ids)].filter((id) => !fresh(this.#cache.get(id)));
    for (let i = 0; i < missing.length; i += 100) {
      for (const f of await this.#sign(missing.slice(i, i + 100))) {
        this.#cache.set(f.id, {
          ...f,
          url: this.#baseUrl + f.url,
          thumbnailUrl: f.thumbnailUrl === null ? null : this.#baseUrl + f.thumbnailUrl,
        });
      }
    }
    const result = new Map<string, SignedFile>();
    for (const id of ids) {
      const f = this.#cache.get(id);
      if (f) result.set(id, f);
    }
    return result;
  }

  clear(): void {
    this.#cache.clear();
  }
}
