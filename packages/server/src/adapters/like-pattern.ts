// A user's search text as a SQL LIKE pattern (both engines, `ESCAPE '\'`): a substring match, any case.

/** `%`, `_` and `\` in the search are literal characters. */
export function likePattern(query: string): string {
  return `%${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A prefix as a SQL LIKE pattern (both engines, `ESCAPE '\'`, compared with a lower-cased column): any case. */
export function likePrefix(query: string): string {
  return `${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
