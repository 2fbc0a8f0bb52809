// How the SDK's parts call operations: one signature for "any operation", and id lists cut to the protocol's cap.

import type { OpArgs, OpName, OpResult } from "@parley/protocol";

/** Calls an operation, whatever carries it (the live connection or HTTP). */
export type OpCall = <K extends OpName>(op: K, args: OpArgs<K>) => Promise<OpResult<K>>;

/** Most ids in one request's list (presence, users); the protocol caps lists at 500. */
const ID_CHUNK = 500;

export function inChunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += ID_CHUNK) out.push(items.slice(i, i + ID_CHUNK));
  return out;
}
