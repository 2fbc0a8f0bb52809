// Splits message text into plain runs and web links, so links can be rendered clickable without injecting HTML.

export type TextPart = { type: "text"; text: string } | { type: "link"; text: string; href: string };

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+/gi;
/** Punctuation that usually ends a sentence rather than the link ("see https://x.org."). */
const TRAILING = new Set([".", ",", ";", ":", "!", "?", "'", '"', ")", "]", "}"]);
const OPENER: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}

/**
 * The link within a matched URL: trailing punctuation is dropped one character at a time from the end, except a
 * closing bracket that balances an opening one inside the URL ("…/wiki/Foo_(bar)" keeps its ")", "…/Foo_(bar))." and
 * "(see https://x.org/a)" do not).
 */
export function trimUrl(url: string): string {
  let end = url.length;
  while (end > 0 && TRAILING.has(url[end - 1]!)) {
    const last = url[end - 1]!;
    const opener = OPENER[last];
    if (opener !== undefined) {
      const body = url.slice(0, end);
      if (count(body, opener) >= count(body, last)) break;
    }
    end--;
  }
  return url.slice(0, end);
}

export function linkify(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const start = match.index ?? 0;
    const url = trimUrl(match[0]);
    if (start > last) parts.push({ type: "text", text: text.slice(last, start) });
    parts.push({ type: "link", text: url, href: url });
    last = start + url.length;
  }
  if (last < text.length) parts.push({ type: "text", text: text.slice(last) });
  return parts;
}
