// Protocol versions this build speaks, and the WebSocket subprotocol names that carry them.

export const PROTOCOL_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [1];

/** Subprotocol offered for version negotiation during the upgrade, e.g. `parley.v1`. */
export const SUBPROTOCOL_PREFIX = "parley.v";
/** Optional subprotocol carrying the access token: `parley.token.<jwt>` (never a URL parameter). */
export const TOKEN_SUBPROTOCOL_PREFIX = "parley.token.";

/** The highest version both sides support, or undefined when there is none. */
export function negotiateVersion(
  offered: readonly number[],
  supported: readonly number[] = SUPPORTED_VERSIONS,
): number | undefined {
  let best: number | undefined;
  for (const v of offered) if (supported.includes(v) && (best === undefined || v > best)) best = v;
  return best;
}
