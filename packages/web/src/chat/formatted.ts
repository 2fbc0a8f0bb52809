// A message body's formatting (docs/protocol.md §7.5, "Formatting", read by @parley/protocol's parseFormatting) as
// React elements. Every piece of text is a text child, every link an http(s) URL the parser found: nothing is ever
// rendered as HTML. Children are passed as separate arguments (a fixed list, never reordered), so none needs a key.

import { type FormatBlock, type FormatInline, parseFormatting } from "@parley/protocol";
import { createElement, Fragment, type ReactNode } from "react";

/** How a mention is shown (the app looks up the name and whether it is the reader). */
export type RenderMention = (userId: string) => ReactNode;

function el(tag: string | typeof Fragment, props: Record<string, unknown> | null, children: readonly ReactNode[]): ReactNode {
  return createElement(tag, props, ...children);
}

function inline(nodes: readonly FormatInline[], mention: RenderMention): ReactNode[] {
  return nodes.map((node) => {
    switch (node.type) {
      case "text":
        return node.text;
      case "break":
        return el("br", null, []);
      case "link":
        return el("a", { href: node.href, target: "_blank", rel: "noopener noreferrer nofollow" }, [node.text]);
      case "mention":
        return mention(node.userId);
      case "code":
        return el("code", { className: "fmt-code" }, [node.text]);
      case "strong":
        return el("strong", null, inline(node.children, mention));
      case "emphasis":
        return el("em", null, inline(node.children, mention));
      default: // "strike"
        return el("del", null, inline(node.children, mention));
    }
  });
}

function block(node: FormatBlock, mention: RenderMention): ReactNode {
  switch (node.type) {
    case "paragraph":
      return el("p", { className: "fmt-p" }, inline(node.children, mention));
    case "code":
      return el("pre", { className: "fmt-pre", "data-lang": node.lang }, [el("code", null, [node.text])]);
    case "quote":
      return el(
        "blockquote",
        { className: "fmt-quote" },
        node.children.map((child) => block(child, mention)),
      );
    case "list": {
      const items = node.items.map((item) =>
        el(
          "li",
          null,
          item.map((child) => block(child, mention)),
        ),
      );
      return node.ordered
        ? el("ol", { className: "fmt-list", start: node.start }, items)
        : el("ul", { className: "fmt-list" }, items);
    }
  }
}

/**
 * The body as elements. A body that is one paragraph (most messages) gives only its inline content, so it flows in
 * the bubble's text span next to the time; `blocks` says whether block elements came out (then use a block container).
 */
export function renderFormatted(body: string, mention: RenderMention): { blocks: boolean; content: ReactNode } {
  const tree = parseFormatting(body);
  const only = tree.length === 1 ? tree[0] : undefined;
  if (only?.type === "paragraph") return { blocks: false, content: el(Fragment, null, inline(only.children, mention)) };
  return {
    blocks: tree.length > 0,
    content: el(
      Fragment,
      null,
      tree.map((node) => block(node, mention)),
    ),
  };
}
