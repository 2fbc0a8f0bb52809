// The malware-scanning port: a verdict on an upload's bytes before they are stored and become downloadable.

import type { Readable } from "node:stream";

/** What a scanner found: nothing, or a named signature. */
export type ScanVerdict = { infected: false } | { infected: true; signature: string };

/**
 * Why a scan gave no verdict:
 * - `unavailable`: the scanner could not be reached, or stopped answering (connection refused or lost, timeout);
 * - `too_large`: the scanner refused the file for its size (clamd's `StreamMaxLength`): retrying will not help;
 * - `failed`: the scanner answered with an error of its own.
 */
export type ScanFailure = "unavailable" | "too_large" | "failed";

export class ScanError extends Error {
  constructor(
    readonly reason: ScanFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "ScanError";
  }
}

export interface Scanner {
  /** Short name for logs, readiness and metrics (`clamd`). */
  readonly name: string;
  /**
   * Streams the bytes `open` returns to the scanner (never holding the whole file) and resolves its verdict; throws
   * ScanError when there is none. `open` is called once per scan.
   */
  scan(open: () => Readable): Promise<ScanVerdict>;
  /** Resolves when the scanner answers; throws ScanError (`unavailable`) otherwise. For readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
