// What a web page says about itself: OpenGraph, then Twitter card, then plain HTML (<title>, meta description), read
// with htmlparser2 (entities decoded). Only <head>-level metadata is read; nothing of the page is ever rendered.

import { Parser } from "htmlparser2";

export interface PageMetadata {
  title: string | null;
  description: string | null;
  /** Absolute http(s) URL of the page's image, resolved against the page's URL. */
  image: string | null;
  siteName: string | null;
}

const MAX_TITLE = 300;
const MAX_DESCRIPTION = 1000;

function clean(value: string | undefined, max: number): string | null {
  const text = value?.replace(/\s+/g, " ").trim();
  if (!text) return null;
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

export function parsePage(html: string, pageUrl: string): PageMetadata {
  const meta = new Map<string, string>();
  let title = "";
  let inTitle = false;
  let titleDone = false;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === "title" && !titleDone) inTitle = true;
        if (name !== "meta") return;
        const key = (attrs["property"] ?? attrs["name"] ?? "").trim().toLowerCase();
        const content = attrs["content"];
        if (key && content !== undefined && !meta.has(key)) meta.set(key, content);
      },
      ontext(text) {
        if (inTitle) title += text;
      },
      onclosetag(name) {
        if (name === "title" && inTitle) {
          inTitle = false;
          titleDone = true;
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  const first = (...keys: string[]) => keys.map((k) => meta.get(k)).find((v) => v !== undefined && v.trim() !== "");
  return {
    title: clean(first("og:title", "twitter:title") ?? title, MAX_TITLE),
    description: clean(first("og:description", "twitter:description", "description"), MAX_DESCRIPTION),
    image: imageUrl(first("og:image:secure_url", "og:image", "og:image:url", "twitter:image", "twitter:image:src"), pageUrl),
    siteName: clean(first("og:site_name", "application-name"), MAX_TITLE),
  };
}

function imageUrl(raw: string | undefined, pageUrl: string): string | null {
  if (!raw) return null;
  try {
    const url = new URL(raw.trim(), pageUrl);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}
