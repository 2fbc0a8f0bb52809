// Malware scanning of uploads: the verdict on a spooled file, and the operator's choice when the scanner gives none.

import { createReadStream } from "node:fs";
import { performance } from "node:perf_hooks";
import { AppError } from "../domain/app-error.js";
import { withTimeout } from "../domain/with-timeout.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../observability/metrics.js";
import { ScanError, type Scanner } from "../ports/scanner.js";
import type { ScanStatus } from "../ports/upload-store.js";

/** What an upload meets when the scanner gives no verdict (PARLEY_SCAN_ON_FAILURE). */
export type ScanFailurePolicy = "refuse" | "flag";

export class UploadScanning {
  constructor(
    /** Undefined: scanning is off and every upload is recorded `off`. */
    private readonly scanner: Scanner | undefined,
    private readonly onFailure: ScanFailurePolicy,
    private readonly log: Pick<Logger, "warn">,
    private readonly metrics?: Metrics,
  ) {}

  private up(value: 0 | 1): void {
    if (this.scanner) this.metrics?.scannerUp.labels(this.scanner.name).set(value);
  }

  /**
   * Scans the file at `path` and returns the status to record with it. Throws `upload_infected` when the scanner
   * finds something; without a verdict, `unavailable` (or `upload_too_large` for the scanner's size limit) when the
   * policy is to refuse, and "unscanned" when it is to flag.
   */
  async check(path: string): Promise<ScanStatus> {
    if (!this.scanner) return "off";
    const started = performance.now();
    try {
      const verdict = await this.scanner.scan(() => createReadStream(path));
      this.up(1);
      this.metrics?.uploadScanSeconds.observe((performance.now() - started) / 1000);
      this.metrics?.uploadScans.inc({ result: verdict.infected ? "infected" : "clean" });
      if (verdict.infected) {
        throw new AppError("upload_infected", "The file contains malware and was not stored", {
          signature: verdict.signature,
        });
      }
      return "clean";
    } catch (error) {
      if (!(error instanceof ScanError)) throw error;
      return this.noVerdict(error);
    }
  }

  private noVerdict(error: ScanError): ScanStatus {
    this.metrics?.uploadScans.inc({ result: "error" });
    this.metrics?.uploadScanErrors.inc({ reason: error.reason });
    // Over the size limit or with an error of its own, the scanner did answer.
    this.up(error.reason === "unavailable" ? 0 : 1);
    this.log.warn(
      { err: error, reason: error.reason, policy: this.onFailure },
      this.onFailure === "flag" ? "upload not scanned: accepted and marked unscanned" : "upload not scanned: refused",
    );
    if (this.onFailure === "flag") {
      this.metrics?.uploadsUnscanned.inc();
      return "unscanned";
    }
    if (error.reason === "too_large") {
      throw new AppError("upload_too_large", "The file is larger than the malware scanner accepts", {
        scanner: true,
      });
    }
    throw new AppError("unavailable", "The malware scanner is unavailable; nothing was stored, try again later", {
      service: "scanner",
    });
  }

  /**
   * The readiness line: undefined when scanning is off, "ok" when the scanner answers, otherwise why not and what
   * uploads meet meanwhile. The scanner's state never takes the node out of rotation (messages do not need it).
   */
  async readiness(timeoutMs: number): Promise<string | undefined> {
    if (!this.scanner) return undefined;
    try {
      await withTimeout(this.scanner.ping(), timeoutMs);
      this.up(1);
      return "ok";
    } catch (error) {
      this.up(0);
      const effect = this.onFailure === "flag" ? "uploads accepted unscanned" : "uploads refused";
      return `${(error as Error).message} (${effect})`;
    }
  }
}
