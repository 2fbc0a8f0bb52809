// A private clamd for tests: Debian's daemon as a child process, on a Unix socket (and a loopback TCP port) in a
// temporary directory, with a signature database the test writes itself (nothing is downloaded; freshclam never runs).

import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EICAR_TEST_FILE } from "@parley/conformance";
import { ClamdScanner } from "../adapters/clamav/clamd-scanner.js";
import type { Config } from "../config/index.js";
import { freePort } from "./cluster-harness.js";
import { waitUntil } from "./wait.js";

/** Bytes that the test database's body signature finds anywhere in a file. */
export const TEST_MARKER = "PARLEY-SCAN-TEST-SIGNATURE-7f3a";
/** The name clamd reports for it (`.UNOFFICIAL`: a signature from a database it does not know). */
export const TEST_MARKER_SIGNATURE = "Parley.Test.Marker.UNOFFICIAL";
export const EICAR_SIGNATURE = "Parley.Test.Eicar.UNOFFICIAL";

const CLAMD = ["/usr/sbin/clamd", "/usr/local/sbin/clamd"].find((path) => existsSync(path)) ?? "clamd";

export interface TestClamdOptions {
  /** clamd's StreamMaxLength, e.g. "1M" (default: clamd's own, 25M). */
  streamMaxLength?: string;
}

export class TestClamd {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly socketPath: string,
    readonly tcpPort: number,
  ) {}

  /** Starts clamd and waits until it answers PING; throws (leaving nothing behind) when it cannot. */
  static async start(options: TestClamdOptions = {}): Promise<TestClamd> {
    const dir = mkdtempSync(join(tmpdir(), "parley-clamd-"));
    const db = join(dir, "db");
    mkdirSync(db);
    const marker = Buffer.from(TEST_MARKER).toString("hex");
    // A body signature (.ndb: name, any file type, any offset, hex bytes) and a hash signature (.hdb: MD5, size, name).
    writeFileSync(join(db, "parley.ndb"), `Parley.Test.Marker:0:*:${marker}\n`);
    const md5 = createHash("md5").update(EICAR_TEST_FILE).digest("hex");
    writeFileSync(join(db, "parley.hdb"), `${md5}:${Buffer.byteLength(EICAR_TEST_FILE)}:Parley.Test.Eicar\n`);
    const socketPath = join(dir, "clamd.sock");
    const tcpPort = await freePort();
    const conf = [
      "Foreground yes",
      `LocalSocket ${socketPath}`,
      `TCPSocket ${tcpPort}`,
      "TCPAddr 127.0.0.1",
      `DatabaseDirectory ${db}`,
      `TemporaryDirectory ${dir}`,
      `LogFile ${join(dir, "clamd.log")}`,
      "MaxThreads 4",
      ...(options.streamMaxLength ? [`StreamMaxLength ${options.streamMaxLength}`] : []),
    ];
    writeFileSync(join(dir, "clamd.conf"), `${conf.join("\n")}\n`);
    const child = spawn(CLAMD, ["-c", join(dir, "clamd.conf")], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (data: Buffer) => {
      stderr += data.toString();
    });
    const clamd = new TestClamd(child, dir, socketPath, tcpPort);
    try {
      const exited = new Promise<never>((_, reject) => {
        child.once("error", reject);
        child.once("exit", (code) => reject(new Error(`clamd exited (${code}): ${stderr.trim().slice(0, 500)}`)));
      });
      exited.catch(() => {});
      const scanner = new ClamdScanner({ path: socketPath }, { timeoutMs: 2000 });
      await Promise.race([
        exited,
        waitUntil(
          "clamd answering PING",
          () =>
            scanner.ping().then(
              () => true,
              () => false,
            ),
          20_000,
        ),
      ]);
      return clamd;
    } catch (error) {
      await clamd.stop();
      throw error;
    }
  }

  /** The server settings that scan uploads with this clamd. */
  serverConfig(): Partial<Config> {
    return { clamdAddress: { path: this.socketPath } };
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Stops clamd (its socket then refuses connections) and removes its directory. */
  async stop(): Promise<void> {
    if (this.running) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
