// The full emoji set (unicode-emoji-json, MIT, from Unicode's emoji-test.txt), bundled with the app and loaded only when
// a picker opens: it is a chunk of its own, not part of the first load.

import type { EmojiGroup } from "./emoji-search.js";

interface RawGroup {
  name: string;
  slug: string;
  emojis: { emoji: string; name: string }[];
}

let loaded: Promise<EmojiGroup[]> | undefined;

export function loadEmojiGroups(): Promise<EmojiGroup[]> {
  loaded ??= import("unicode-emoji-json/data-by-group.json").then((module) =>
    (module.default as RawGroup[])
      // Skin-tone swatches and hair components are not emoji of their own.
      .filter((group) => group.slug !== "component")
      .map((group) => ({
        slug: group.slug,
        name: group.name,
        emojis: group.emojis.map(({ emoji, name }) => ({ emoji, name })),
      })),
  );
  return loaded;
}
