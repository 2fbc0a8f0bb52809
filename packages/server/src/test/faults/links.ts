// The fault client's two live transports behind one interface: a WebSocket, and a long-poll session (§2.3) with
// numbered frames, acknowledged polls, numbered batches resent when their answer is lost, and haproxy's cookie sent
// back so that every request of the session reaches the node that opened it.

import WebSocket from "ws";
import { sleep } from "../wait.js";

// biome-ignore lint/suspicious/noExplicitAny: frames from the wire, read member by member.
export type Json = any;

export interface Link {
  readonly closed: Promise<void>;
  readonly open: boolean;
  /** When the link last heard from the server (a frame, a ping, a poll answer). */
  readonly lastHeard: number;
  /** The answer frame, or undefined when the link closed or `timeoutMs` passed first. */
  request(rid: string, op: string, args: unknown, timeoutMs: number): Promise<Json | undefined>;
  terminate(): void;
}

export type Transport = "ws" | "longpoll";

/** Opens a link and completes the handshake; undefined when either fails. */
export function openLink(
  transport: Transport,
  base: string,
  token: string,
  onEvent: (frame: Json) => void,
  timeoutMs: number,
): Promise<Link | undefined> {
  return transport === "ws" ? WsLink.open(base, token, onEvent, timeoutMs) : LongPollLink.open(base, token, onEvent, timeoutMs);
}

/** Answers by rid, for both links. */
class Waiters {
  private readonly waiters = new Map<string, (frame: Json | undefined) => void>();

  wait(rid: string, timeoutMs: number, closed: Promise<void>): Promise<Json | undefined> {
    return new Promise((resolve) => {
      const done = (frame: Json | undefined) => {
        clearTimeout(timer);
        this.waiters.delete(rid);
        resolve(frame);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.waiters.set(rid, done);
      void closed.then(() => done(undefined));
    });
  }

  /** Hands a server frame to whoever waits for it: results and errors by rid, events to `onEvent`. */
  dispatch(frame: Json, onEvent: (frame: Json) => void): void {
    if (frame?.type === "event") onEvent(frame);
    else if (typeof frame?.rid === "string") this.waiters.get(frame.rid)?.(frame);
  }
}

class WsLink implements Link {
  readonly closed: Promise<void>;
  lastHeard = Date.now();
  private readonly waiters = new Waiters();

  private constructor(
    private readonly socket: WebSocket,
    onEvent: (frame: Json) => void,
  ) {
    this.closed = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.on("ping", () => {
      this.lastHeard = Date.now();
    });
    socket.on("message", (data) => {
      this.lastHeard = Date.now();
      this.waiters.dispatch(parse(data.toString()), onEvent);
    });
    socket.on("error", () => socket.terminate());
  }

  static async open(base: string, token: string, onEvent: (frame: Json) => void, timeoutMs: number): Promise<Link | undefined> {
    const socket = new WebSocket(`${base.replace(/^http/, "ws")}/v1/ws`, ["parley.v1"], { handshakeTimeout: timeoutMs });
    const opened = await new Promise<boolean>((resolve) => {
      socket.once("open", () => resolve(true));
      socket.once("error", () => resolve(false));
      socket.once("unexpected-response", () => resolve(false));
    });
    if (!opened) {
      socket.terminate();
      return undefined;
    }
    const link = new WsLink(socket, onEvent);
    const welcome = await link.request("hello", "hello", { versions: [1], token }, timeoutMs);
    if (welcome?.type === "result") return link;
    socket.terminate();
    return undefined;
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  request(rid: string, op: string, args: unknown, timeoutMs: number): Promise<Json | undefined> {
    const answer = this.waiters.wait(rid, timeoutMs, this.closed);
    if (this.open) this.socket.send(JSON.stringify({ rid, op, args }));
    return answer;
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/** How long the rig's nodes hold a poll (PARLEY_LONG_POLL_HOLD_MS in the rig's environment). */
export const LONG_POLL_HOLD_MS = 2000;

class LongPollLink implements Link {
  readonly closed: Promise<void>;
  lastHeard = Date.now();
  private isClosed = false;
  private markClosed: () => void = () => undefined;
  private readonly waiters = new Waiters();
  private processed = 0;
  private batch = 0;
  /** Batches go one at a time (§2.3.3), each resent with its number until answered. */
  private sending: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly base: string,
    private readonly connection: string,
    private readonly secret: string,
    private readonly cookie: string,
    private readonly onEvent: (frame: Json) => void,
  ) {
    this.closed = new Promise((resolve) => {
      this.markClosed = resolve;
    });
    void this.pollLoop();
  }

  static async open(base: string, token: string, onEvent: (frame: Json) => void, timeoutMs: number): Promise<Link | undefined> {
    try {
      const res = await fetch(`${base}/v1/lp/open`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ versions: [1], token }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body: Json = await res.json();
      if (res.status !== 200) return undefined;
      const cookie = res.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
      return new LongPollLink(base, body.welcome.connectionId, body.secret, cookie, onEvent);
    } catch {
      return undefined;
    }
  }

  get open(): boolean {
    return !this.isClosed;
  }

  request(rid: string, op: string, args: unknown, timeoutMs: number): Promise<Json | undefined> {
    const answer = this.waiters.wait(rid, timeoutMs, this.closed);
    const line = JSON.stringify({ rid, op, args });
    const deadline = Date.now() + timeoutMs;
    this.sending = this.sending.then(() => this.sendBatch(line, deadline));
    return answer;
  }

  terminate(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.markClosed();
  }

  private headers(): Record<string, string> {
    return { "parley-poll-secret": this.secret, ...(this.cookie ? { cookie: this.cookie } : {}) };
  }

  private async sendBatch(line: string, deadline: number): Promise<void> {
    this.batch += 1;
    const url = `${this.base}/v1/lp/send?connection=${this.connection}&batch=${this.batch}`;
    while (!this.isClosed && Date.now() < deadline) {
      try {
        const res = await fetch(url, {
          method: "POST",
          headers: { ...this.headers(), "content-type": "application/x-ndjson" },
          body: `${line}\n`,
          signal: AbortSignal.timeout(Math.max(1, deadline - Date.now())),
        });
        const body: Json = await res.json().catch(() => undefined);
        if (res.status === 200 && !body?.close) return;
        if (body?.close || res.status === 404) this.terminate();
        return;
      } catch {
        await sleep(100); // the answer was lost: the same batch number again (the server ignores a repeat)
      }
    }
  }

  private async pollLoop(): Promise<void> {
    while (!this.isClosed) {
      try {
        const res = await fetch(`${this.base}/v1/lp/poll?connection=${this.connection}&ack=${this.processed}`, {
          headers: this.headers(),
          signal: AbortSignal.timeout(LONG_POLL_HOLD_MS + 3000),
        });
        const body: Json = await res.json().catch(() => undefined);
        this.lastHeard = Date.now();
        if (res.status !== 200) {
          this.terminate();
          return;
        }
        const frames: Json[] = body.frames;
        const first = body.last - frames.length + 1;
        frames.forEach((frame, i) => {
          if (first + i <= this.processed) return;
          this.processed = first + i;
          this.waiters.dispatch(frame, this.onEvent);
        });
        if (body.close) this.terminate();
      } catch {
        await sleep(100); // a lost answer: the next poll with the same ack gets the same frames again
      }
    }
  }
}

function parse(text: string): Json {
  try {
    return JSON.parse(text);
  } catch {
    return { unparsable: text };
  }
}
