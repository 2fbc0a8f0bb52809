// links.preview (docs/protocol.md §6.16): what a web page shows (title, description, site name, image), fetched by
// the server so that clients never contact third-party hosts. The image is fetched too and stored as a thumbnail the
// server serves (GET /v1/link-previews/images/:id). Answers are cached in the store, failures for a shorter time;
// concurrent requests for one URL on a node share one fetch.

import { randomBytes } from "node:crypto";
import type { LinkPreview } from "@parley/protocol";
import type { Config } from "../../config/index.js";
import { AppError } from "../../domain/app-error.js";
import { publicUrlProblem } from "../../domain/push-endpoint.js";
import type { LinkPreviewImage, LinkPreviewRecord, LinkPreviewStore } from "../../ports/link-preview-store.js";
import { FetchRefused, fetchResource } from "./fetch-resource.js";
import { parsePage } from "./parse-page.js";

export interface PreviewLimits {
  maxPageBytes: number;
  maxImageBytes: number;
  timeoutMs: number;
  ttlMs: number;
  failureTtlMs: number;
}

export const PREVIEW_LIMITS: PreviewLimits = {
  /** HTML read from a page; what a page says about itself is in its <head>. */
  maxPageBytes: 512 * 1024,
  maxImageBytes: 2 * 1024 * 1024,
  /** For a page or an image, redirects included. */
  timeoutMs: 5000,
  /** How long a preview is served from the cache. */
  ttlMs: 24 * 3_600_000,
  /** How long a failure is: a page that was down may be back soon. */
  failureTtlMs: 10 * 60_000,
};

export const LINK_PREVIEW_IMAGE_PATH = "/v1/link-previews/images/";

const HTML_TYPES = new Set(["text/html", "application/xhtml+xml"]);
const IMAGE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export interface Thumbnailer {
  thumbnailOf(bytes: Buffer): Promise<Buffer>;
}

export class LinkPreviewService {
  private readonly inFlight = new Map<string, Promise<LinkPreviewRecord>>();

  constructor(
    private readonly config: Pick<Config, "linkPreviews" | "linkPreviewsAllowPrivate">,
    private readonly store: LinkPreviewStore,
    private readonly images: Thumbnailer,
    private readonly limits: PreviewLimits = PREVIEW_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  async preview(url: string): Promise<LinkPreview> {
    if (this.config.linkPreviews === "off") {
      throw new AppError("link_previews_disabled", "Link previews are turned off on this server");
    }
    const problem = publicUrlProblem(url, { allowPrivate: true, http: true, noun: "url" });
    if (problem) throw new AppError("validation_failed", `${problem[0]!.toUpperCase()}${problem.slice(1)}`, { field: "url" });
    const cached = await this.store.getLinkPreview(url);
    const record = cached && cached.expiresAt > this.now() ? cached : await this.fetchOnce(url);
    if (record.preview === null) {
      throw new AppError("link_preview_unavailable", "The page could not be previewed", { reason: record.failure ?? "network" });
    }
    const p = record.preview;
    return {
      url,
      title: p.title,
      description: p.description,
      image: p.imageId === null ? null : `${LINK_PREVIEW_IMAGE_PATH}${p.imageId}`,
      siteName: p.siteName,
    };
  }

  /** The stored thumbnail under its id (the id is the capability: no session needed). */
  async image(id: string): Promise<LinkPreviewImage> {
    const image = /^[A-Za-z0-9_-]{1,64}$/.test(id) ? await this.store.getLinkPreviewImage(id) : undefined;
    if (!image) throw new AppError("not_found", "No such image");
    return image;
  }

  private fetchOnce(url: string): Promise<LinkPreviewRecord> {
    let pending = this.inFlight.get(url);
    if (!pending) {
      pending = this.fetchAndStore(url).finally(() => this.inFlight.delete(url));
      this.inFlight.set(url, pending);
    }
    return pending;
  }

  private async fetchAndStore(url: string): Promise<LinkPreviewRecord> {
    const fetchedAt = this.now();
    let record: LinkPreviewRecord;
    let image: LinkPreviewImage | undefined;
    try {
      const page = await fetchResource(url, {
        accept: (type) => HTML_TYPES.has(type),
        wrongType: "not_html",
        maxBytes: this.limits.maxPageBytes,
        timeoutMs: this.limits.timeoutMs,
        allowPrivate: this.config.linkPreviewsAllowPrivate,
      });
      const meta = parsePage(decode(page.body, page.charset), page.url);
      image = meta.image === null ? undefined : await this.thumbnail(meta.image);
      record = {
        url,
        preview: { title: meta.title, description: meta.description, siteName: meta.siteName, imageId: image?.id ?? null },
        failure: null,
        fetchedAt,
        expiresAt: fetchedAt + this.limits.ttlMs,
      };
    } catch (error) {
      if (!(error instanceof FetchRefused)) throw error;
      record = { url, preview: null, failure: error.reason, fetchedAt, expiresAt: fetchedAt + this.limits.failureTtlMs };
    }
    await this.store.putLinkPreview(record, image, this.now());
    return record;
  }

  /** The page's image as a stored thumbnail; undefined when it cannot be fetched or decoded (the preview goes without). */
  private async thumbnail(imageUrl: string): Promise<LinkPreviewImage | undefined> {
    try {
      const fetched = await fetchResource(imageUrl, {
        accept: (type) => IMAGE_TYPES.has(type),
        wrongType: "not_html",
        maxBytes: this.limits.maxImageBytes,
        timeoutMs: this.limits.timeoutMs,
        allowPrivate: this.config.linkPreviewsAllowPrivate,
      });
      const bytes = await this.images.thumbnailOf(fetched.body);
      return { id: randomBytes(16).toString("base64url"), mimeType: "image/webp", bytes };
    } catch (error) {
      // A missing, oversized or broken image only leaves the preview without one.
      if (error instanceof FetchRefused || error instanceof AppError) return undefined;
      throw error;
    }
  }
}

/** The page's text in its declared charset (UTF-8 when none or unknown). */
function decode(body: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? "utf-8").decode(body);
  } catch {
    return new TextDecoder("utf-8").decode(body);
  }
}
