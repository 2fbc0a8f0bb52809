// Test support: an in-memory WebSocket the test drives by hand (open, receive frames, close).

import type { WebSocketConstructor, WebSocketLike } from "../connection.js";

export interface SentFrame {
  rid: string;
  op: string;
  args: Record<string, unknown>;
}

export class FakeWebSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: SentFrame[] = [];
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;
  terminated = false;
  /** Called for every frame the client sends (a fake server hooks in here). */
  onSend: ((frame: SentFrame) => void) | undefined;

  constructor(
    readonly url: string,
    readonly protocols: string | string[] | undefined,
  ) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("WebSocket is not open");
    const frame = JSON.parse(data) as SentFrame;
    this.sent.push(frame);
    this.onSend?.(frame);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }

  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }

  // ── driven by the test ──

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(frame: unknown): void {
    this.onmessage?.({ data: typeof frame === "string" ? frame : JSON.stringify(frame) });
  }

  reply(rid: string, result: unknown): void {
    this.receive({ type: "result", rid, result });
  }

  fail(rid: string | null, code: string, message = code, extra: Record<string, unknown> = {}): void {
    this.receive({ type: "error", rid, error: { code, message, retryable: false, ...extra } });
  }

  serverClose(code: number, reason = ""): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** The last frame sent with `op`. */
  last(op: string): SentFrame | undefined {
    for (let i = this.sent.length - 1; i >= 0; i--) if (this.sent[i]!.op === op) return this.sent[i];
    return undefined;
  }
}

/** A WebSocket constructor that records every socket it creates. */
export function fakeWebSocketFactory(onCreate?: (socket: FakeWebSocket) => void): {
  WebSocket: WebSocketConstructor;
  sockets: FakeWebSocket[];
} {
  const sockets: FakeWebSocket[] = [];
  const WebSocket = class extends FakeWebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols);
      sockets.push(this);
      onCreate?.(this);
    }
  };
  return { WebSocket, sockets };
}
