// Link previews in the web app: the first link of a message (docs/protocol.md §7.5, "Formatting") and the answers of
// `links.preview` (§6.16), kept for the session so that a link shown in many messages is asked for once.

import type { LinkPreview, ParleyClient } from "@parley/client";
import { type FormatBlock, type FormatInline, parseFormatting } from "@parley/protocol";

function inInlines(nodes: readonly FormatInline[]): string | undefined {
  for (const node of nodes) {
    if (node.type === "link") return node.href;
    if (node.type === "strong" || node.type === "emphasis" || node.type === "strike") {
      const found = inInlines(node.children);
      if (found) return found;
    }
  }
  return undefined;
}

function inBlocks(blocks: readonly FormatBlock[]): string | undefined {
  for (const block of blocks) {
    const found =
      block.type === "paragraph"
        ? inInlines(block.children)
        : block.type === "quote"
          ? inBlocks(block.children)
          : block.type === "list"
            ? inBlocks(block.items.flat())
            : undefined;
    if (found) return found;
  }
  return undefined;
}

/** The first link a reader sees in the body (never one inside code); undefined when there is none. */
export function firstLink(body: string): string | undefined {
  return inBlocks(parseFormatting(body));
}

/**
 * The session's previews by URL. A URL that cannot be previewed (`link_preview_unavailable`, or any other refusal)
 * is remembered as null: no card, and no second request. Once the server says previews are off, none is asked for.
 */
export class LinkPreviews {
  private readonly answers = new Map<string, Promise<LinkPreview | null>>();
  private disabled = false;

  constructor(private readonly client: Pick<ParleyClient, "linkPreview">) {}

  get(url: string): Promise<LinkPreview | null> {
    if (this.disabled) return Promise.resolve(null);
    let answer = this.answers.get(url);
    if (!answer) {
      answer = this.client.linkPreview(url).then(
        (preview) => (preview.title || preview.description || preview.image ? preview : null),
        (error: { code?: string }) => {
          // An expected outcome, shown as no card: the page cannot be previewed, or previews are off here.
          if (error.code === "link_previews_disabled") this.disabled = true;
          return null;
        },
      );
      this.answers.set(url, answer);
    }
    return answer;
  }
}

const sessions = new WeakMap<object, LinkPreviews>();

/** The session's previews of this client (one cache per signed-in client). */
export function linkPreviewsOf(client: Pick<ParleyClient, "linkPreview">): LinkPreviews {
  let previews = sessions.get(client);
  if (!previews) {
    previews = new LinkPreviews(client);
    sessions.set(client, previews);
  }
  return previews;
}

// Whether this browser shows preview cards: on unless turned off in the account dialog (kept in localStorage).

export const LINK_PREVIEWS_KEY = "parley.linkPreviews";
const listeners = new Set<() => void>();

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    // Storage blocked: the default (shown) holds for this page.
    return undefined;
  }
}

export function linkPreviewsShown(): boolean {
  return storage()?.getItem(LINK_PREVIEWS_KEY) !== "off";
}

export function setLinkPreviewsShown(shown: boolean): void {
  try {
    if (shown) storage()?.removeItem(LINK_PREVIEWS_KEY);
    else storage()?.setItem(LINK_PREVIEWS_KEY, "off");
  } finally {
    for (const listener of listeners) listener();
  }
}

/** For useSyncExternalStore: called when the choice changes in this page. */
export function onLinkPreviewsChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
