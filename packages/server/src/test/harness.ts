// Test harness: starts a server on a free port with a temporary data dir (or the nodes of a cluster in this process),
// and speaks the raw protocol to it over either live transport (WebSocket or long polling).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type {
  Attachment,
  AuthResult,
  ErrorBody,
  EventFrame,
  OpArgs,
  OpName,
  OpResult,
  ServerFrame,
  Welcome,
} from "@parley/protocol";
import { SignJWT } from "jose";
import WebSocket from "ws";
import { type ParleyServer, type StartOptions, startParley } from "../app.js";
import type { Config } from "../config/index.js";
import { POLL_SECRET_HEADER } from "../transport/long-poll.js";
import { deletePrefix, dropSchema, TEST_DATABASE_URL, TEST_REDIS_URL, uniqueName } from "./cluster-harness.js";
import { sleep } from "./wait.js";

export { sleep };

export interface TestServer extends ParleyServer {
  dataDir: string;
}

/**
 * Rate limits are off unless a test sets them: every test client comes from 127.0.0.1 (one address for the
 * per-address limits), and tests send bursts no user does. test/rate-limits.test.ts covers the limits and checks that
 * the production defaults let ordinary use through; the SDK's tests run against the defaults.
 */
export const RATE_LIMITS_OFF: Partial<Config> = {
  rateRequests: null,
  rateMessages: null,
  rateTyping: null,
  rateReceipts: null,
  rateAuthIp: null,
  rateRegisterIp: null,
  rateConnectIp: null,
  rateSearch: null,
  rateUploads: null,
  rateLinkPreviews: null,
};

export async function startTestServer(overrides: Partial<Config> = {}, options: StartOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-test-"));
  const server = await startParley(
    { host: "127.0.0.1", port: 0, dataDir, logLevel: "silent", ...RATE_LIMITS_OFF, ...overrides },
    {},
    options,
  );
  const close = server.close.bind(server);
  return Object.assign(server, {
    dataDir,
    async close() {
      await close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** Nodes of one cluster in this process: test servers sharing a fresh PostgreSQL schema and Redis prefix. */
export interface TestCluster {
  /** One per `nodeIds` entry, in that order. */
  readonly nodes: TestServer[];
  readonly schema: string;
  readonly prefix: string;
  /** Closes the nodes, then drops the schema and deletes the prefix's Redis keys (both best effort). */
  close(): Promise<void>;
}

export interface TestClusterOptions {
  /** Names the schema (`parley_<label>_…`) and the prefix (`<label>_…`), so leftovers tell which suite left them. */
  label: string;
  /** The nodes' ids (`PARLEY_NODE_ID`). */
  nodeIds: readonly string[];
  /**
   * Configuration every node shares, over the cluster settings (which it may replace: a databaseUrl through a proxy
   * to the test database, a private Redis). The schema is dropped through TEST_DATABASE_URL in any case.
   */
  config?: Partial<Config>;
  /** Start the nodes at once, racing through start-up (migration lock, VAPID keys), instead of one after another. */
  together?: boolean;
  /** Start options every node gets (a log destination). */
  start?: StartOptions;
}

/** Starts in-process cluster nodes (the cluster tests that need no node process, no load balancer). */
export async function startTestCluster(options: TestClusterOptions): Promise<TestCluster> {
  const schema = uniqueName(`parley_${options.label}`);
  const prefix = uniqueName(options.label);
  const common: Partial<Config> = {
    databaseUrl: TEST_DATABASE_URL,
    databaseSchema: schema,
    redisUrl: TEST_REDIS_URL,
    clusterPrefix: prefix,
    // One token secret for all nodes, as a deployment has: a token from one node is good on every other.
    jwtSecret: randomBytes(32).toString("base64url"),
    ...options.config,
  };
  const nodes: TestServer[] = [];
  const close = async () => {
    await Promise.all(nodes.map((node) => node.close()));
    await dropSchema(schema).catch(() => {});
    await deletePrefix(prefix, common.redisUrl ?? TEST_REDIS_URL).catch(() => {});
  };
  try {
    if (options.together) {
      const started = await Promise.allSettled(
        options.nodeIds.map((nodeId) => startTestServer({ ...common, nodeId }, options.start)),
      );
      for (const outcome of started) if (outcome.status === "fulfilled") nodes.push(outcome.value);
      const failed = started.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
      if (failed) throw failed.reason;
    } else {
      for (const nodeId of options.nodeIds) nodes.push(await startTestServer({ ...common, nodeId }, options.start));
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { nodes, schema, prefix, close };
}

/** An access token of `user`'s session, signed with the server's own secret (its data directory), expired a minute ago. */
export async function expiredAccessToken(server: TestServer, user: AuthResult): Promise<string> {
  const secret = new TextEncoder().encode(readFileSync(join(server.dataDir, "jwt-secret"), "utf8").trim());
  return new SignJWT({ sid: user.sessionId })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(user.user.id)
    .setIssuer("parley")
    .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
    .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
    .sign(secret);
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
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers field by field.
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers["authorization"] = `Bearer ${token}`;
  const res = await fetch(server.url + path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

let userCounter = 0;

export async function register(server: ParleyServer, name?: string, password = "correct horse battery"): Promise<AuthResult> {
  const username = name ?? `user${process.pid % 1000}_${++userCounter}`;
  const res = await http(server, "POST", "/v1/auth/register", { username, password });
  if (res.status !== 201) throw new HttpError(res.status, res.body);
  return res.body as AuthResult;
}

export async function login(server: ParleyServer, username: string): Promise<AuthResult> {
  const res = await http(server, "POST", "/v1/auth/login", { username, password: "correct horse battery" });
  if (res.status !== 200) throw new HttpError(res.status, res.body);
  return res.body as AuthResult;
}

/** `POST /v1/uploads` with the bytes as the body; throws HttpError unless the upload was accepted. */
export async function uploadFile(
  server: ParleyServer,
  token: string,
  name: string,
  bytes: Uint8Array,
  contentType = "application/octet-stream",
): Promise<Attachment> {
  const res = await uploadRaw(server, token, name, bytes, contentType);
  if (res.status !== 201) throw new HttpError(res.status, res.body);
  return res.body as Attachment;
}

/** `POST /v1/uploads`, answering status and parsed body whatever they are. */
export async function uploadRaw(
  server: ParleyServer,
  token: string | undefined,
  name: string | undefined,
  bytes: Uint8Array | ReadableStream<Uint8Array>,
  contentType?: string,
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers field by field.
): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = {};
  if (contentType) headers["content-type"] = contentType;
  if (token) headers["authorization"] = `Bearer ${token}`;
  const query = name === undefined ? "" : `?name=${encodeURIComponent(name)}`;
  const res = await fetch(`${server.url}/v1/uploads${query}`, {
    method: "POST",
    headers,
    body: bytes,
    ...(bytes instanceof ReadableStream ? { duplex: "half" } : {}),
  } as RequestInit);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** `GET /metrics`, parsed from the text exposition format into `name{labels}` → value. */
export async function scrapeMetrics(server: ParleyServer, token?: string): Promise<Map<string, number>> {
  const res = await fetch(`${server.url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
  const values = new Map<string, number>();
  for (const line of (await res.text()).split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const i = line.lastIndexOf(" ");
    values.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return values;
}

export class ProtocolError extends Error {
  constructor(readonly error: { code: string; message: string; details?: Record<string, unknown> }) {
    super(`${error.code}: ${error.message}`);
  }
}

/** The live transports the protocol suites run on. */
export const TRANSPORTS = ["ws", "long-poll"] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/** A close notice of the long-poll transport: the close code a WebSocket would have carried. */
interface CloseNotice {
  code: number;
  reason: string;
}

/**
 * A raw protocol client over one transport: JSON frames, rid matching, and a log of every event received.
 * `RawClient` speaks it over a WebSocket, `LongPollClient` over long polling; `openVia`/`connectVia` pick one.
 */
export abstract class ProtocolClient {
  abstract readonly transport: TransportName;
  readonly events: EventFrame[] = [];
  readonly frames: ServerFrame[] = [];
  closeCode: number | undefined;
  readonly closed: Promise<number>;
  private resolveClosed: (code: number) => void = () => {};
  private nextRid = 0;
  private readonly waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  private readonly watchers = new Set<() => void>();

  constructor() {
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
  }

  /** Sends one frame's text exactly as given (over long polling: one line of a batch). */
  abstract sendRaw(data: string | Buffer, binary?: boolean): void;

  /** Closes deliberately (1000) and resolves with the close code the client ended with. */
  abstract close(): Promise<number>;

  request<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpResult<K>> {
    return this.requestRaw(op, args) as Promise<OpResult<K>>;
  }

  requestRaw(op: string, args: unknown): Promise<unknown> {
    const rid = String(++this.nextRid);
    return new Promise((resolve, reject) => {
      this.waiting.set(rid, { resolve, reject });
      this.sendRequest(rid, op, args);
    });
  }

  protected sendRequest(rid: string, op: string, args: unknown): void {
    this.sendRaw(JSON.stringify({ rid, op, args }));
  }

  protected received(frame: ServerFrame): void {
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
  }

  protected ended(code: number): void {
    if (this.closeCode !== undefined) return;
    this.closeCode = code;
    for (const w of this.waiting.values()) w.reject(new Error(`closed ${code}`));
    this.waiting.clear();
    for (const fn of this.watchers) fn();
    this.resolveClosed(code);
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
}

/** The raw protocol over a WebSocket. */
export class RawClient extends ProtocolClient {
  readonly transport = "ws";

  constructor(readonly ws: WebSocket) {
    super();
    ws.on("message", (data) => this.received(JSON.parse(data.toString()) as ServerFrame));
    ws.on("close", (code) => this.ended(code));
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

  close(): Promise<number> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
    return this.closed;
  }
}

/**
 * The raw protocol over long polling, written from docs/protocol.md §2.3 independently of the SDK: `hello` becomes
 * `POST /v1/lp/open`, other frames leave in NDJSON batches, and a poll loop acknowledges what it received.
 */
export class LongPollClient extends ProtocolClient {
  readonly transport = "long-poll";
  connectionId: string | undefined;
  secret: string | undefined;
  /** Sequence number of the last frame received and acknowledged by the next poll. */
  ack = 0;
  /** Every poll answer, for tests of the cursor rules. */
  readonly polls: { ack: number; last: number; frames: number; close?: CloseNotice }[] = [];
  private readonly outbox: string[] = [];
  private flushing = false;
  private opening = false;
  private batch = 0;
  private paused: (() => void) | undefined;
  private pausing: Promise<void> | undefined;
  private stopped = false;
  private readonly polling = new AbortController();

  constructor(readonly server: ParleyServer) {
    super();
  }

  static async open(server: ParleyServer): Promise<LongPollClient> {
    return new LongPollClient(server);
  }

  static async connect(server: ParleyServer, token: string): Promise<LongPollClient> {
    const client = new LongPollClient(server);
    await client.request("hello", { versions: [1], token });
    return client;
  }

  /** Headers proving the session on every request after open. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { [POLL_SECRET_HEADER]: this.secret ?? "", ...extra };
  }

  url(endpoint: string, params: Record<string, string | number> = {}): string {
    const q = new URLSearchParams({
      connection: this.connectionId ?? "",
      ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
    });
    return `${this.server.url}/v1/lp/${endpoint}?${q}`;
  }

  protected override sendRequest(rid: string, op: string, args: unknown): void {
    // The first hello is the open request; a later one is a frame like any other (and refused as on a WebSocket).
    if (op === "hello" && this.connectionId === undefined && !this.opening) {
      this.opening = true;
      void this.openSession(rid, args);
      return;
    }
    super.sendRequest(rid, op, args);
  }

  sendRaw(data: string | Buffer): void {
    this.outbox.push(data.toString());
    setImmediate(() => void this.flush());
  }

  /** Stops polling (frames pile up on the server) until `resumePolling`. */
  pausePolling(): void {
    this.pausing ??= new Promise((resolve) => {
      this.paused = resolve;
    });
  }

  resumePolling(): void {
    this.paused?.();
    this.paused = undefined;
    this.pausing = undefined;
  }

  /** Vanishes without a word, like a client whose network died: no more polls, no close. */
  abandon(): void {
    this.stopped = true;
    this.polling.abort();
  }

  async close(): Promise<number> {
    if (this.closeCode === undefined && this.connectionId !== undefined && !this.stopped) {
      const res = await fetch(this.url("close"), { method: "POST", headers: this.headers() });
      const body = (await res.json()) as { close?: CloseNotice };
      if (body.close) this.finish(body.close.code);
    } else if (this.closeCode === undefined) {
      this.finish(1000);
    }
    return this.closed;
  }

  private async openSession(rid: string, args: unknown): Promise<void> {
    const res = await fetch(`${this.server.url}/v1/lp/open`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(args),
    });
    const body = (await res.json()) as {
      welcome?: Welcome;
      secret?: string;
      error?: ErrorBody;
      close?: CloseNotice;
    };
    if (res.status === 200 && body.welcome && body.secret) {
      this.connectionId = body.welcome.connectionId;
      this.secret = body.secret;
      this.received({ type: "result", rid, result: body.welcome });
      void this.pollLoop();
      void this.flush();
      return;
    }
    if (body.error) this.received({ type: "error", rid, error: body.error });
    this.finish(body.close?.code ?? 1006);
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.connectionId === undefined || this.closeCode !== undefined) return;
    this.flushing = true;
    try {
      while (this.outbox.length > 0 && this.closeCode === undefined) {
        const lines = this.outbox.splice(0);
        const res = await fetch(this.url("send", { batch: ++this.batch }), {
          method: "POST",
          headers: this.headers({ "content-type": "application/x-ndjson" }),
          body: lines.join("\n"),
        });
        const body = (await res.json()) as { close?: CloseNotice };
        if (body.close) this.finish(body.close.code);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async pollLoop(): Promise<void> {
    while (this.closeCode === undefined && !this.stopped) {
      if (this.pausing) await this.pausing;
      let body: { last: number; frames: ServerFrame[]; close?: CloseNotice; error?: ErrorBody };
      try {
        const res = await fetch(this.url("poll", { ack: this.ack }), { headers: this.headers(), signal: this.polling.signal });
        body = (await res.json()) as typeof body;
      } catch {
        if (this.stopped) return;
        await sleep(50);
        continue;
      }
      if (this.stopped) return;
      this.polls.push({
        ack: this.ack,
        last: body.last,
        frames: body.frames?.length ?? 0,
        ...(body.close ? { close: body.close } : {}),
      });
      const frames = body.frames ?? [];
      const first = body.last - frames.length + 1;
      for (const [i, frame] of frames.entries()) if (first + i > this.ack) this.received(frame);
      if (typeof body.last === "number") this.ack = Math.max(this.ack, body.last);
      if (body.close) {
        this.finish(body.close.code);
        return;
      }
    }
  }

  private finish(code: number): void {
    this.polling.abort();
    this.ended(code);
  }
}

/** Opens a client of `transport` without saying hello (long polling: nothing happens until `hello`). */
export function openVia(transport: TransportName, server: ParleyServer): Promise<ProtocolClient> {
  return transport === "ws" ? RawClient.open(server) : LongPollClient.open(server);
}

/** A client of `transport` that completed `hello` with the token. */
export function connectVia(transport: TransportName, server: ParleyServer, token: string): Promise<ProtocolClient> {
  return transport === "ws" ? RawClient.connect(server, token) : LongPollClient.connect(server, token);
}
