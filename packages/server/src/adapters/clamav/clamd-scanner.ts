// The ClamAV Scanner: clamd's INSTREAM command over its Unix or TCP socket, the file streamed in length-prefixed chunks.

import { createConnection, type Socket } from "node:net";
import type { Readable } from "node:stream";
import { setImmediate as yieldToIo } from "node:timers/promises";
import { ScanError, type Scanner, type ScanVerdict } from "../../ports/scanner.js";

/** Where clamd listens: its `LocalSocket` or its `TCPSocket` (and `TCPAddr`). */
export type ClamdAddress = { path: string } | { host: string; port: number };

export interface ClamdOptions {
  /** A scan (connect, stream, verdict) or a ping that takes longer fails as `unavailable`. */
  timeoutMs: number;
}

/**
 * One connection per command, as clamd's `z`-commands (NUL-terminated) expect. Nothing is buffered beyond a chunk of
 * the file: each chunk is written after the socket took the previous one.
 */
export class ClamdScanner implements Scanner {
  readonly name = "clamd";

  constructor(
    private readonly address: ClamdAddress,
    private readonly options: ClamdOptions,
  ) {}

  async ping(): Promise<void> {
    const exchange = await Exchange.open(this.address, this.options.timeoutMs);
    try {
      await exchange.write(Buffer.from("zPING\0"));
      const reply = await exchange.reply;
      if (reply !== "PONG") throw new ScanError("failed", `clamd answered PING with ${JSON.stringify(reply)}`);
    } finally {
      exchange.close();
    }
  }

  async scan(open: () => Readable): Promise<ScanVerdict> {
    const exchange = await Exchange.open(this.address, this.options.timeoutMs);
    const source = open();
    let sent = false;
    try {
      sent = await stream(exchange, source).catch((error: unknown) => {
        // A write that failed after clamd answered (it closes right after its size-limit answer) leaves the answer.
        if (exchange.answered) return false;
        throw error;
      });
      return parseScanReply(await exchange.reply);
    } catch (error) {
      if (!(error instanceof ScanError) || error.reason !== "unavailable" || sent) throw error;
      // clamd closed the connection while the file was still coming, without an answer that could be read. It does
      // that when the stream passes its StreamMaxLength; if it still answers a PING, that is what happened.
      const alive = await this.ping().then(
        () => true,
        () => false,
      );
      if (!alive) throw error;
      throw new ScanError("too_large", "clamd closed the connection while receiving the file (its StreamMaxLength)", {
        cause: error,
      });
    } finally {
      source.destroy();
      exchange.close();
    }
  }

  async close(): Promise<void> {}
}

/** Sends INSTREAM, the chunks and the terminating zero length; false when clamd answered before the end. */
async function stream(exchange: Exchange, source: Readable): Promise<boolean> {
  await exchange.write(Buffer.from("zINSTREAM\0"));
  for await (const chunk of source as AsyncIterable<Buffer>) {
    // Let an answer that is already here (the size limit, sent just before clamd closes) be read before writing on.
    await yieldToIo();
    if (exchange.answered) return false;
    const header = Buffer.alloc(4);
    header.writeUInt32BE(chunk.length);
    await exchange.write(header);
    await exchange.write(chunk);
  }
  await exchange.write(Buffer.alloc(4));
  return true;
}

/** One connection to clamd: `reply` resolves with its answer (up to the NUL) or rejects as `unavailable`. */
class Exchange {
  answered = false;
  /**
   * How the exchange ended; never rejects, so that a failure before anyone awaits the reply (while the file is still
   * being sent) is not an unhandled rejection. `reply` turns it back into a rejection for the one who awaits it.
   */
  private readonly outcome: Promise<{ reply: string } | { error: Error }>;
  private readonly timer: NodeJS.Timeout;

  get reply(): Promise<string> {
    return this.outcome.then((o) => {
      if ("error" in o) throw o.error;
      return o.reply;
    });
  }

  private constructor(
    private readonly socket: Socket,
    where: string,
    timeoutMs: number,
  ) {
    let received = "";
    let settle!: (outcome: { reply: string } | { error: Error }) => void;
    this.outcome = new Promise((resolve) => {
      settle = resolve;
    });
    const fail = (message: string, cause?: unknown) => {
      settle({ error: new ScanError("unavailable", `clamd at ${where}: ${message}`, { cause }) });
      socket.destroy();
    };
    this.timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.setEncoding("latin1");
    socket.on("data", (data: string) => {
      received += data;
      const end = received.indexOf("\0");
      if (end >= 0 && !this.answered) {
        this.answered = true;
        settle({ reply: received.slice(0, end).trim() });
      }
    });
    socket.on("error", (error) => fail(error.message, error));
    socket.on("close", () => {
      clearTimeout(this.timer);
      if (!this.answered) fail(received ? `incomplete answer ${JSON.stringify(received)}` : "closed without an answer");
    });
  }

  static open(address: ClamdAddress, timeoutMs: number): Promise<Exchange> {
    const socket = "path" in address ? createConnection(address.path) : createConnection(address);
    const where = "path" in address ? address.path : `${address.host}:${address.port}`;
    const exchange = new Exchange(socket, where, timeoutMs);
    return new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(exchange));
      exchange.reply.catch(reject);
    });
  }

  /** Resolves once the socket took the bytes; rejects (`unavailable`) when the connection broke. */
  write(bytes: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (error) => {
        if (error) reject(new ScanError("unavailable", `clamd connection lost: ${error.message}`, { cause: error }));
        else resolve();
      });
    });
  }

  close(): void {
    clearTimeout(this.timer);
    this.socket.destroy();
  }
}

/** `stream: OK`, `stream: <signature> FOUND`, `INSTREAM size limit exceeded. ERROR`, `<reason> ERROR`. */
export function parseScanReply(reply: string): ScanVerdict {
  if (reply === "stream: OK") return { infected: false };
  const found = /^stream: (.+) FOUND$/.exec(reply);
  if (found) return { infected: true, signature: found[1]! };
  if (/size limit exceeded/i.test(reply)) throw new ScanError("too_large", "the file exceeds clamd's StreamMaxLength");
  throw new ScanError("failed", `clamd: ${reply.slice(0, 200)}`);
}
