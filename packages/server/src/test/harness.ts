// Test harness: starts a server on a free port with a temporary data dir, and speaks the raw protocol to it.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuthResult, EventFrame, OpArgs, OpName, OpResult, ServerFrame } from "@parley/protocol";
import WebSocket from "ws";
import { type ParleyServer, startParley } from "../app.js";
import type { Config } from "../config.js";

export interface TestServer extends ParleyServer {
  dataDir: string;
}

export async function startTestServer(overrides: Partial<Config> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-test-"));
  const server = await startParley({ host: "127.0.0.1", port: 0, dataDir, logLevel: "silent", ...overrides }, {});
  const close = server.close.bind(server);
  return Object.assign(server, {
    dataDir,
    async close() {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error: { code: string; message: string; details?: Record<string, unknown> } },
  ) {
    super(`${status} ${body.error?.code}: ${body.error?.message}`);
  }
}

/** Calls an HTTP route directly (method + path + JSON), returning status and parsed body. */
export async function http(
  server: ParleyServer,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers["authorization"] = `Bearer ${token}`;
  const res = await fetch(server.url + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

let userCounter = 0;

export async function register(server: ParleyServer, name?: string): Promise<AuthResult> {
  const username = name ?? `user${process.pid % 1000}_${++userCounter}`;
  const res = await http(server, "POST", "/v1/auth/register", { username, password: "correct horse battery" });
  if (res.status !== 201) throw new HttpError(res.status, res.body);
  return res.body as AuthResult;
}

export async function login(server: ParleyServer, username: string): Promise<AuthResult> {
  const res = await http(server, "POST", "/v1/auth/login", { username, password: "correct horse battery" });
  if (res.status !== 200) throw new HttpError(res.status, res.body);
  return res.body as AuthResult;
}

export class ProtocolError extends Error {
  constructor(readonly error: { code: string; message: string; details?: Record<string, unknown> }) {
    super(`${error.code}: ${error.message}`);
  }
}

/** A raw protocol client: JSON frames, rid matching, and a log of every event received. */
export class RawClient {
  readonly events: EventFrame[] = [];
  readonly frames: ServerFrame[] = [];
  closeCode: number | undefined;
  private nextRid = 0;
  private readonly waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private readonly watchers = new Set<() => void>();
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const frame = JSON.parse(data.toString()) as ServerFrame;
      this.frames.push(frame);
      if (frame.type === "event") this.events.push(frame);
      else if (frame.rid !== null) {
        const w = this.waiting.get(frame.rid);
        if (w) {
          this.waiting.delete(frame.rid);
          if (frame.type === "result") w.resolve(frame.result);
          else w.reject(new ProtocolError(frame.error));
        }
      }
      for (const fn of this.watchers) fn();
    });
    this.closed = new Promise((resolve) =>
      ws.on("close", (code) => {
        this.closeCode = code;
        for (const w of this.waiting.values()) w.reject(new Error(`closed ${code}`));
        this.waiting.clear();
        for (const fn of this.watchers) fn();
        resolve(code);
      }),
    );
  }

  static async open(server: ParleyServer, options: { protocols?: string[] } = {}): Promise<RawClient> {
    const ws = new WebSocket(server.wsUrl, options.protocols ?? ["parley.v1"]);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new RawClient(ws);
  }

  /** Opens a socket and completes `hello` with the token. */
  static async connect(server: ParleyServer, token: string): Promise<RawClient> {
    const client = await RawClient.open(server);
    await client.request("hello", { versions: [1], token });
    return client;
  }

  sendRaw(data: string | Buffer, binary = false): void {
    this.ws.send(data, { binary });
  }

  request<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpResult<K>> {
    return this.requestRaw(op, args) as Promise<OpResult<K>>;
  }

  requestRaw(op: string, args: unknown): Promise<unknown> {
    const rid = String(++this.nextRid);
    return new Promise((resolve, reject) => {
      this.waiting.set(rid, { resolve, reject });
      this.ws.send(JSON.stringify({ rid, op, args }));
    });
  }

  /** Resolves with the first event (already received or future) matching `predicate`. */
  waitForEvent<E extends EventFrame>(predicate: (e: EventFrame) => e is E, timeoutMs?: number): Promise<E>;
  waitForEvent(predicate: (e: EventFrame) => boolean, timeoutMs?: number): Promise<EventFrame>;
  waitForEvent(predicate: (e: EventFrame) => boolean, timeoutMs = 3000): Promise<EventFrame> {
    return this.waitFor(() => this.events.find(predicate), timeoutMs);
  }

  waitFor<T>(probe: () => T | undefined, timeoutMs = 3000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = probe();
        if (found !== undefined) {
          cleanup();
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error("timed out waiting"));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.watchers.delete(check);
      };
      this.watchers.add(check);
      check();
    });
  }

  messages(conversationId?: string) {
    return this.events
      .filter((e): e is Extract<EventFrame, { event: "message" }> => e.event === "message")
      .map((e) => e.data)
      .filter((m) => conversationId === undefined || m.conversationId === conversationId);
  }

  close(): Promise<number> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    return this.closed;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
