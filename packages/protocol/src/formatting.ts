// Message formatting (docs/protocol.md §7.5, "Formatting"): the small Markdown set clients render, read from a plain
// text body into a tree of a few node kinds. Bodies are plain text on the wire and never HTML; this module is the one
// place that decides what a body's markers mean, for the web app (which maps the tree to elements) and for every place
// that shows a body without its markers (previews, notifications).
//
// The parser is micromark (CommonMark) with GFM strikethrough, every construct outside the set switched off: no
// headings, links, images, raw HTML, character references, indented code, tables or thematic breaks. Links are the
// bare http(s) URLs of `findLinks` and mentions the `<@id>` tokens of mentions.ts; both are taken out before parsing
// (each replaced by one placeholder character), so no marker inside a URL or a user id is ever read as formatting.

import type { Nodes as MdNode, Root as MdRoot } from "mdast";
import { fromMarkdown } from "mdast-util-from-markdown";
import { gfmStrikethroughFromMarkdown } from "mdast-util-gfm-strikethrough";
import { gfmStrikethrough } from "micromark-extension-gfm-strikethrough";
import { MENTION_PATTERN } from "./mentions.js";

export type FormatInline =
  | { type: "text"; text: string }
  | { type: "break" }
  | { type: "link"; href: string; text: string }
  | { type: "mention"; userId: string }
  | { type: "code"; text: string }
  | { type: "strong" | "emphasis" | "strike"; children: FormatInline[] };

export type FormatBlock =
  | { type: "paragraph"; children: FormatInline[] }
  | { type: "code"; text: string; lang?: string }
  | { type: "quote"; children: FormatBlock[] }
  | { type: "list"; ordered: boolean; start?: number; items: FormatBlock[][] };

/** Blocks nested deeper than this (quotes in quotes, lists in lists) are shown as their plain text. */
export const MAX_FORMAT_DEPTH = 8;

// ---------------------------------------------------------------------------------------------------------------------
// Links: bare http(s) URLs.

export type LinkPart = { type: "text"; text: string } | { type: "link"; text: string; href: string };

/** A URL runs to whitespace, a quote, an angle bracket or a backtick (never a valid URL character). */
const URL_PATTERN = /(?<![A-Za-z0-9])https?:\/\/[^\s<>"'`]+/gi;
/** Characters that usually end a sentence or close a formatting marker rather than the link ("see https://x.org."). */
const TRAILING = new Set([".", ",", ";", ":", "!", "?", "'", '"', ")", "]", "}", "*", "_", "~"]);
const OPENER: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}

/**
 * The link within a matched URL: trailing punctuation is dropped one character at a time from the end, except a
 * closing bracket that balances an opening one inside the URL ("…/wiki/Foo_(bar)" keeps its ")", "…/Foo_(bar))." and
 * "(see https://x.org/a)" do not; a full stop after a closing bracket is never part of the link).
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

/** Text split into plain runs and web links (only http and https: no other scheme ever becomes a link). */
export function findLinks(text: string): LinkPart[] {
  const parts: LinkPart[] = [];
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

// ---------------------------------------------------------------------------------------------------------------------
// Placeholders: each URL and mention becomes one private-use character before parsing.

const FIRST_PLACEHOLDER = 0xe000;
const LAST_PLACEHOLDER = 0xf8ff;
const PLACEHOLDER = /[\ue000-\uf8ff]/g;

type Token =
  | { type: "link"; href: string }
  | { type: "mention"; userId: string; raw: string }
  | { type: "literal"; text: string };

/** The body with its URLs, mentions and own private-use characters replaced by placeholders, and what each stands for. */
function protect(body: string): { text: string; tokens: Token[] } {
  const tokens: Token[] = [];
  const add = (token: Token): string => {
    if (FIRST_PLACEHOLDER + tokens.length > LAST_PLACEHOLDER) return token.type === "link" ? token.href : "\ufffd";
    tokens.push(token);
    return String.fromCharCode(FIRST_PLACEHOLDER + tokens.length - 1);
  };
  let text = "";
  for (const part of findLinks(body)) {
    if (part.type === "link") {
      text += add({ type: "link", href: part.href });
      continue;
    }
    text += part.text
      .replace(PLACEHOLDER, (char) => add({ type: "literal", text: char }))
      .replace(MENTION_PATTERN, (raw, userId: string) => add({ type: "mention", userId, raw }));
  }
  return { text, tokens };
}

/** Placeholders back to their text (inside code, where nothing is a link or a mention). */
function restoreText(text: string, tokens: readonly Token[]): string {
  return text.replace(PLACEHOLDER, (char) => {
    const token = tokens[char.charCodeAt(0) - FIRST_PLACEHOLDER];
    if (token === undefined) return char;
    return token.type === "link" ? token.href : token.type === "mention" ? token.raw : token.text;
  });
}

/** Text with placeholders as inline nodes; line breaks become `break` nodes. */
function restoreInline(text: string, tokens: readonly Token[], out: FormatInline[]): void {
  let run = "";
  const flush = () => {
    if (run !== "") out.push({ type: "text", text: run });
    run = "";
  };
  for (const char of text) {
    const code = char.charCodeAt(0);
    const token = code >= FIRST_PLACEHOLDER && code <= LAST_PLACEHOLDER ? tokens[code - FIRST_PLACEHOLDER] : undefined;
    if (char === "\n") {
      flush();
      out.push({ type: "break" });
    } else if (token === undefined) run += char;
    else if (token.type === "literal") run += token.text;
    else {
      flush();
      out.push(
        token.type === "link" ? { type: "link", href: token.href, text: token.href } : { type: "mention", userId: token.userId },
      );
    }
  }
  flush();
}

// ---------------------------------------------------------------------------------------------------------------------
// Parsing.

/** Every CommonMark construct outside the set (micromark's names). */
const DISABLED = [
  "autolink",
  "characterReference",
  "codeIndented",
  "definition",
  "hardBreakEscape",
  "headingAtx",
  "htmlFlow",
  "htmlText",
  "labelEnd",
  "labelStartImage",
  "labelStartLink",
  "setextUnderline",
  "thematicBreak",
];

function parseTree(text: string): MdRoot {
  return fromMarkdown(text, {
    extensions: [gfmStrikethrough(), { disable: { null: DISABLED } }],
    mdastExtensions: [gfmStrikethroughFromMarkdown()],
  });
}

/** The source text of a node (for what is nested too deep): its text content, placeholders kept. */
function sourceText(node: MdNode): string {
  if ("value" in node) return node.value;
  if (node.type === "break") return "\n";
  if (!("children" in node)) return "";
  const blocks = node.type === "root" || node.type === "blockquote" || node.type === "list" || node.type === "listItem";
  return (node.children as MdNode[]).map(sourceText).join(blocks ? "\n" : "");
}

function inlines(nodes: readonly MdNode[], tokens: readonly Token[]): FormatInline[] {
  const out: FormatInline[] = [];
  for (const node of nodes) {
    switch (node.type) {
      case "text":
        restoreInline(node.value, tokens, out);
        break;
      case "inlineCode":
        out.push({ type: "code", text: restoreText(node.value, tokens) });
        break;
      case "break":
        out.push({ type: "break" });
        break;
      case "strong":
      case "emphasis":
      case "delete":
        out.push({ type: node.type === "delete" ? "strike" : node.type, children: inlines(node.children, tokens) });
        break;
      default:
        // Nothing else is produced with the constructs above switched off; keep any text all the same.
        restoreInline(sourceText(node), tokens, out);
    }
  }
  return out;
}

function blocks(nodes: readonly MdNode[], tokens: readonly Token[], depth: number): FormatBlock[] {
  const out: FormatBlock[] = [];
  for (const node of nodes) {
    if (depth >= MAX_FORMAT_DEPTH && node.type !== "paragraph") {
      const children: FormatInline[] = [];
      restoreInline(sourceText(node), tokens, children);
      out.push({ type: "paragraph", children });
      continue;
    }
    switch (node.type) {
      case "paragraph":
        out.push({ type: "paragraph", children: inlines(node.children, tokens) });
        break;
      case "code":
        out.push({
          type: "code",
          text: restoreText(node.value, tokens),
          ...(node.lang ? { lang: restoreText(node.lang, tokens) } : {}),
        });
        break;
      case "blockquote":
        out.push({ type: "quote", children: blocks(node.children, tokens, depth + 1) });
        break;
      case "list":
        out.push({
          type: "list",
          ordered: node.ordered === true,
          ...(node.ordered && typeof node.start === "number" ? { start: node.start } : {}),
          items: node.children.map((item) => blocks(item.children, tokens, depth + 1)),
        });
        break;
      default: {
        const children: FormatInline[] = [];
        restoreInline(sourceText(node), tokens, children);
        out.push({ type: "paragraph", children });
      }
    }
  }
  return out;
}

/** A body as the blocks clients render (docs/protocol.md §7.5, "Formatting"). Never throws. */
export function parseFormatting(body: string): FormatBlock[] {
  const { text, tokens } = protect(body);
  return blocks(parseTree(text).children, tokens, 0);
}

// ---------------------------------------------------------------------------------------------------------------------
// Plain text.

function inlineText(nodes: readonly FormatInline[], nameOf: (userId: string) => string): string {
  return nodes
    .map((node) => {
      switch (node.type) {
        case "text":
        case "code":
          return node.text;
        case "break":
          return "\n";
        case "link":
          return node.text;
        case "mention":
          return `@${nameOf(node.userId)}`;
        default:
          return inlineText(node.children, nameOf);
      }
    })
    .join("");
}

function blockText(nodes: readonly FormatBlock[], nameOf: (userId: string) => string): string {
  return nodes
    .map((node) => {
      switch (node.type) {
        case "paragraph":
          return inlineText(node.children, nameOf);
        case "code":
          return node.text;
        case "quote":
          return blockText(node.children, nameOf);
        default: // "list"
          return node.items.map((item) => blockText(item, nameOf)).join("\n");
      }
    })
    .join("\n");
}

/**
 * A body as text without its formatting markers, mentions as "@Name" (conversation previews, notifications): what a
 * reader sees, minus the styling. Lines stay apart; callers that show one line collapse the whitespace.
 */
export function formattedAsPlainText(body: string, nameOf: (userId: string) => string): string {
  return blockText(parseFormatting(body), nameOf);
}
