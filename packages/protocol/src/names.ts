// The rule for names people choose for others to read (display names, group titles, file names): which characters
// they may hold, and the form they are stored in. Checked at the edge of every transport through the schemas.

import { FormatRegistry, Type } from "@sinclair/typebox";

/**
 * Characters that drive or reorder the display instead of being shown: controls (C0, DEL, C1), lone surrogates, the
 * line and paragraph separators, and the bidirectional marks, embeddings, overrides and isolates (`\u202E` turns
 * "gnp.exe" into "exe.png").
 */
const FORBIDDEN = /[\p{Cc}\p{Cs}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/**
 * Characters that show nothing by themselves: white space, format characters (zero-width space and joiners, word
 * joiner, soft hyphen, tags…), combining marks without a base, and the Hangul fillers and Braille blank.
 */
const INVISIBLE = /[\s\p{Cf}\p{M}\u115f\u1160\u3164\uffa0\u2800]/gu;

export type NameProblem = "forbidden_character" | "invisible";

/** Why `name` may not be shown to others, or null when it may. */
export function nameProblem(name: string): NameProblem | null {
  if (FORBIDDEN.test(name)) return "forbidden_character";
  if (name.replace(INVISIBLE, "") === "") return "invisible";
  return null;
}

/** The string format of user-visible names in the operation schemas. */
export const VISIBLE_NAME_FORMAT = "parley-visible-name";
FormatRegistry.Set(VISIBLE_NAME_FORMAT, (value) => nameProblem(value) === null);

/** What `validation_failed` says when a name breaks the rule. */
export const VISIBLE_NAME_MESSAGE =
  "must show at least one visible character and hold no control, line-separator or bidirectional-control characters";

/**
 * A user-visible name of 1..maxLength UTF-16 code units that passes `nameProblem`; accepted names are stored in
 * Unicode NFC with white space trimmed from both ends, so one name has one spelling.
 */
export function VisibleName(maxLength: number) {
  return Type.Transform(Type.String({ minLength: 1, maxLength, format: VISIBLE_NAME_FORMAT }))
    .Decode((name) => name.normalize("NFC").trim())
    .Encode((name) => name);
}
