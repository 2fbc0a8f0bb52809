import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type EmojiGroup, loadRecent, MAX_RECENT, searchEmoji, withRecent } from "./emoji-search.js";

const groups: EmojiGroup[] = [
  {
    slug: "smileys",
    name: "Smileys",
    emojis: [
      { emoji: "😀", name: "grinning face" },
      { emoji: "😂", name: "face with tears of joy" },
    ],
  },
  {
    slug: "people",
    name: "People",
    emojis: [
      { emoji: "👍", name: "thumbs up" },
      { emoji: "👎", name: "thumbs down" },
      { emoji: "🫶", name: "heart hands" },
    ],
  },
  { slug: "symbols", name: "Symbols", emojis: [{ emoji: "❤️", name: "red heart" }] },
];

describe("emoji search and recents", () => {
  it("finds emoji by word prefixes, names starting with the query first", () => {
    assert.deepEqual(
      searchEmoji(groups, "thu up").map((e) => e.emoji),
      ["👍"],
    );
    assert.deepEqual(
      searchEmoji(groups, "heart").map((e) => e.emoji),
      ["🫶", "❤️"],
    );
    assert.deepEqual(
      searchEmoji(groups, "FACE").map((e) => e.emoji),
      ["😂", "😀"],
    );
    assert.deepEqual(searchEmoji(groups, "  "), []);
    assert.deepEqual(searchEmoji(groups, "zebra"), []);
  });

  it("keeps recent emoji newest first, without repeats, capped", () => {
    assert.deepEqual(withRecent(["😀", "👍"], "👍"), ["👍", "😀"]);
    let list: string[] = [];
    for (let i = 0; i < MAX_RECENT + 5; i++) list = withRecent(list, String(i));
    assert.equal(list.length, MAX_RECENT);
    assert.equal(list[0], String(MAX_RECENT + 4));
  });

  it("reads a stored list and ignores a broken one", () => {
    assert.deepEqual(loadRecent({ getItem: () => '["👍",3,"😀"]' }), ["👍", "😀"]);
    assert.deepEqual(loadRecent({ getItem: () => "{broken" }), []);
    assert.deepEqual(loadRecent(undefined), []);
  });
});
