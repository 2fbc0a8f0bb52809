// What counts as a reaction: exactly one emoji grapheme.

import { MAX_EMOJI_LENGTH } from "@parley/protocol";

// Built at run time: the `v` flag (Unicode sets, for \p{RGI_Emoji}) is newer than the compile target (Node 20 has it).
const UNICODE_SETS: string = "v";
/** A fully-qualified RGI emoji: single code points, keycaps, flags, modifier and ZWJ sequences. */
const RGI_EMOJI = new RegExp("^\\p{RGI_Emoji}$", UNICODE_SETS);
/** A single pictographic code point without its emoji presentation selector ("❤" for "❤️"). */
const BARE_PICTOGRAPH = /^\p{Extended_Pictographic}$/u;

export function isSingleEmoji(value: string): boolean {
  if (value.length === 0 || value.length > MAX_EMOJI_LENGTH) return false;
  return RGI_EMOJI.test(value) || BARE_PICTOGRAPH.test(value);
}
