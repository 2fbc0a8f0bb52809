// A conformance case: what it covers (operations, error codes, close codes) and how it runs against a deployment.

import { type CloseReason, type ErrorCode, type OpName, operations } from "@parley/protocol";
import type { Ctx, OpTransport } from "./context.js";

export interface Covers {
  ops?: OpName[];
  errors?: ErrorCode[];
  closes?: CloseReason[];
}

export interface Case {
  /** Unique and stable: results, filters and the pending list name cases by it. */
  id: string;
  covers: Covers;
  run(ctx: Ctx): Promise<void>;
  /** Runs after every other case (it may end the server's life: close 1001). */
  last?: boolean;
  /**
   * Runs alone, after the concurrent cases: it changes server-wide state other cases depend on (the registration mode)
   * and puts it back.
   */
  exclusive?: boolean;
}

/** The transports §6.1 lists for `op`: a live-session operation runs over a WebSocket (long polling has its own cases). */
export function transportsOf(op: OpName): OpTransport[] {
  return operations[op].transports.map((t): OpTransport => (t === "live" ? "ws" : "http"));
}

/** One case per transport of `op` (as the operation definitions list them), ids `<title> [<transport>]`. */
export function perTransport(
  op: OpName,
  title: string,
  covers: Covers,
  run: (ctx: Ctx, transport: OpTransport) => Promise<void>,
): Case[] {
  return transportsOf(op).map((transport) => ({
    id: `${title} [${transport}]`,
    covers,
    run: (ctx) => run(ctx, transport),
  }));
}
