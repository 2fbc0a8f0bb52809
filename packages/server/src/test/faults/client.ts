// A fault-run client speaking the raw protocol (no SDK, so that nothing is hidden): it keeps one link (a WebSocket or
// a long-poll session, links.ts) open, reconnecting through the next target when it drops or goes silent, syncs on
// every (re)connect and repairs gaps, sends with an idempotency key and retries the same key when an answer is lost,
// marks receipts, and records all of it as a ClientHistory for the checker.

import { sleep } from "../wait.js";
import type { ClientHistory, SendRecord } from "./checker.js";
import { type Json, type Link, openLink, type Transport } from "./links.js";

export interface ClientOptions {
  user: { id: string; token: string };
  conversations: string[];
  /** Base URLs (http://host:port) to connect through, tried in turn: the load balancer, or nodes directly. */
  targets: string[];
  transport: Transport;
  /** A request without an answer for this long counts as lost: the client drops the connection and retries. */
  requestTimeoutMs: number;
  /** No frame and no ping for this long: the connection is dead, reconnect. */
  silenceTimeoutMs: number;
  /** A send is given up (outcome `unknown`) after this long. */
  sendDeadlineMs: number;
}

export class FaultClient {
  readonly history: ClientHistory;
  /** What the client holds: conversation → seq → id. */
  private readonly view = new Map<string, Map<number, string>>();
  private conn: Link | undefined;
  private connecting: Promise<Link | undefined> | undefined;
  private target = 0;
  private rid = 0;
  private sent = 0;
  private stopped = false;
  private repairing = false;
  private repairAgain = false;
  private marked = new Map<string, number>();
  private watchdog: NodeJS.Timeout;
  /** Connections opened, for the report. */
  connections = 0;

  get transport(): Transport {
    return this.options.transport;
  }

  constructor(private readonly options: ClientOptions) {
    this.history = {
      user: options.user.id,
      conversations: options.conversations,
      sends: [],
      observations: [],
      receipts: [],
    };
    for (const c of options.conversations) this.view.set(c, new Map());
    this.watchdog = setInterval(() => {
      const conn = this.conn;
      if (conn && Date.now() - conn.lastHeard > options.silenceTimeoutMs) conn.terminate();
    }, 250);
  }

  /** The highest seq up to which the client holds every entry of `conversationId`. */
  cursor(conversationId: string): number {
    const seqs = this.view.get(conversationId);
    let n = 0;
    while (seqs?.has(n + 1)) n += 1;
    return n;
  }

  /** Sends one message (retrying the same clientId when the answer is lost) and records how it ended. */
  async send(conversationId: string, options: { dropAfterSend?: boolean } = {}): Promise<SendRecord> {
    this.sent += 1;
    const record: SendRecord = {
      user: this.options.user.id,
      conversationId,
      clientId: `${this.options.user.id}-${this.sent}`,
      attempts: 0,
      outcome: { kind: "unknown" },
    };
    this.history.sends.push(record);
    const deadline = Date.now() + this.options.sendDeadlineMs;
    while (!this.stopped && Date.now() < deadline) {
      const conn = await this.connected(deadline);
      if (!conn) break;
      record.attempts += 1;
      const rid = this.nextRid();
      const answer = conn.request(
        rid,
        "messages.send",
        { conversationId, clientId: record.clientId, body: `message ${record.clientId}` },
        this.options.requestTimeoutMs,
      );
      // Mid-send: the frame is out, the connection goes before the answer; the retry goes through the next target.
      if (options.dropAfterSend && record.attempts === 1) conn.terminate();
      const frame = await answer;
      if (frame?.type === "result") {
        record.outcome = { kind: "acked", id: frame.result.id, seq: frame.result.seq };
        this.observe(conversationId, frame.result.seq, frame.result.id, "ack");
        return record;
      }
      if (frame?.type === "error") {
        record.outcome = { kind: "error", code: frame.error.code };
        return record;
      }
      conn.terminate();
    }
    return record;
  }

  /** Connects if needed and syncs everything the client lacks; resolves when done (or false when it could not). */
  async resync(timeoutMs = 10_000): Promise<boolean> {
    const conn = await this.connected(Date.now() + timeoutMs);
    return conn ? this.sync(conn) : false;
  }

  /** Marks delivered and read up to the cursor where it moved, and records the results. */
  async markReceipts(): Promise<void> {
    const conn = this.conn;
    if (!conn?.open) return;
    for (const conversationId of this.options.conversations) {
      const cursor = this.cursor(conversationId);
      if (cursor <= (this.marked.get(conversationId) ?? 0)) continue;
      const frame = await conn.request(
        this.nextRid(),
        "receipts.mark",
        { conversationId, delivered: cursor, read: cursor },
        this.options.requestTimeoutMs,
      );
      if (frame?.type !== "result") return;
      this.marked.set(conversationId, cursor);
      this.history.receipts.push({
        conversationId,
        deliveredSeq: frame.result.deliveredSeq,
        readSeq: frame.result.readSeq,
      });
    }
  }

  /** True when the client holds every entry up to `lastSeq` of each conversation. */
  holdsAll(lastSeqs: Record<string, number>): boolean {
    return Object.entries(lastSeqs).every(([c, last]) => !this.view.has(c) || this.cursor(c) >= last);
  }

  close(): void {
    this.stopped = true;
    clearInterval(this.watchdog);
    this.conn?.terminate();
  }

  private nextRid(): string {
    this.rid += 1;
    return `r${this.rid}`;
  }

  private observe(conversationId: string, seq: number, id: string, via: "event" | "sync" | "ack"): void {
    const seqs = this.view.get(conversationId);
    if (!seqs) return;
    this.history.observations.push({ conversationId, seq, id, via });
    seqs.set(seq, id);
  }

  /** The open connection, opening one (through the next target on each failure) until `deadline`. */
  private async connected(deadline: number): Promise<Link | undefined> {
    if (this.conn?.open) return this.conn;
    this.connecting ??= this.connect(deadline).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(deadline: number): Promise<Link | undefined> {
    while (!this.stopped && Date.now() < deadline) {
      const base = this.options.targets[this.target % this.options.targets.length] ?? "";
      this.target += 1;
      const conn = await openLink(
        this.options.transport,
        base,
        this.options.user.token,
        (frame) => this.onEvent(frame),
        this.options.requestTimeoutMs,
      );
      if (conn) {
        this.conn = conn;
        this.connections += 1;
        void conn.closed.then(() => {
          if (this.conn === conn) this.conn = undefined;
        });
        await this.sync(conn);
        return conn;
      }
      await sleep(200);
    }
    return undefined;
  }

  private onEvent(frame: Json): void {
    if (frame.event !== "message") return;
    const m = frame.data;
    this.observe(m.conversationId, m.seq, m.id, "event");
    if (m.seq > this.cursor(m.conversationId) + 1) void this.repair();
  }

  /** Gap repair (§9.5): one sync at a time, and one more if another gap was seen meanwhile. */
  private async repair(): Promise<void> {
    if (this.repairing) {
      this.repairAgain = true;
      return;
    }
    this.repairing = true;
    try {
      do {
        this.repairAgain = false;
        const conn = this.conn;
        if (conn?.open) await this.sync(conn);
      } while (this.repairAgain);
    } finally {
      this.repairing = false;
    }
  }

  /** `sync` from the cursors until nothing is cut short; false when an answer was lost. */
  private async sync(conn: Link): Promise<boolean> {
    for (let page = 0; page < 100; page++) {
      const cursors = Object.fromEntries(this.options.conversations.map((c) => [c, this.cursor(c)]));
      const frame = await conn.request(this.nextRid(), "sync", { cursors }, this.options.requestTimeoutMs);
      if (frame?.type !== "result") return false;
      for (const c of frame.result.conversations) {
        for (const m of c.messages) this.observe(c.conversationId, m.seq, m.id, "sync");
      }
      if (!frame.result.hasMore) return true;
    }
    return false;
  }
}
