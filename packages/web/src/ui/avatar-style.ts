// What an avatar shows without a picture: initials and a stable color derived from the user or conversation id.

/** "Ann Lee" → "AL", "bob" → "B"; grapheme-safe for emoji and accents. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const first = (word: string | undefined) => (word ? (Array.from(word)[0] ?? "") : "");
  if (words.length === 0) return "?";
  if (words.length === 1) return first(words[0]).toLocaleUpperCase();
  return (first(words[0]) + first(words[words.length - 1])).toLocaleUpperCase();
}

/** A hue (0–359) that is the same for an id on every device, so people recognise each other's colors. */
export function avatarHue(id: string): number {
  // FNV-1a: tiny, stable and spreads short ids well.
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % 360;
}
