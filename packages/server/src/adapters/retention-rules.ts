// The retention rule shared by the SQL adapters: which prefix of a conversation's oldest entries a sweep step deletes.

/** Seconds standing in for "no limit" in SQL: beyond any retention a setting accepts (RETENTION_MAX_SECONDS). */
export const NO_AGE_LIMIT = 1e12;

/** `serverMaxAgeSeconds` as the SQL parameter: NO_AGE_LIMIT for none. */
export function serverAgeParam(serverMaxAgeSeconds: number | null): number {
  return serverMaxAgeSeconds ?? NO_AGE_LIMIT;
}

/**
 * The conversation's new low watermark: the last of the `oldest` entries (ascending, starting right after
 * `expiredSeq`) such that it and every one before it were created at or before `cutoff`. Entries are expired in
 * sequence order only, so a clock that ran behind on one node delays the entries after it rather than tearing a hole
 * into the sequence. Returns `expiredSeq` when nothing is due.
 */
export function expiryWatermark(
  expiredSeq: number,
  oldest: readonly { seq: number; createdAt: number }[],
  cutoff: number,
): number {
  let through = expiredSeq;
  for (const entry of oldest) {
    if (entry.createdAt > cutoff) break;
    through = entry.seq;
  }
  return through;
}
