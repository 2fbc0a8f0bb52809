// What every case runs against: the deployment's addresses and limits, the suite's users, and one way to call any
// operation over any of its transports, with the HTTP route built from the operation definitions.

import { randomBytes } from "node:crypto";
import { type Limits, type OpName, operations } from "@parley/protocol";
import { expectOk } from "./expect.js";
import { httpError, httpJson, httpRaw, type Json, WsConn } from "./wire.js";

export type OpTransport = "ws" | "http";

export interface ConformanceOptions {
  /** Base URL of the deployment, `http(s)://host[:port]` (the WebSocket is `ws(s)://…/v1/ws`). */
  url: string;
  /**
   * Longest a single case may wait for a server timer (token expiry, heartbeat, hello timeout, long-poll expiry, edit
   * window). Cases whose timer, as the server announces it, is longer are skipped with the reason.
   */
  maxWaitMs?: number;
  /** The server's `PARLEY_HELLO_TIMEOUT_MS` (not announced; default the documented 10 000). */
  helloTimeoutMs?: number;
  /** The server's `PARLEY_EDIT_WINDOW_MS` when it is short enough to wait for (not announced; unknown: skipped). */
  editWindowMs?: number;
  /** Cases run at once (default 6). */
  concurrency?: number;
  /**
   * Shuts the server down (for close 1001, run after every other case); without it that case is skipped. Only a
   * program embedding the suite can offer it (the CI test does).
   */
  shutdown?: () => Promise<void>;
  /**
   * An administrator of the server (docs/protocol.md §6.11), for the `admin.*` cases and the registration modes;
   * without it those cases are skipped. The suite puts every setting it changes back.
   */
  admin?: { username: string; password: string };
  /** Only cases whose id contains one of these strings. */
  filter?: string[];
  /** Called with each result as it is known (the CLI prints progress). */
  onResult?: (result: CaseResult) => void;
}

export type CaseStatus = "pass" | "fail" | "skip" | "expected-fail" | "unexpected-pass";

export interface CaseResult {
  id: string;
  status: CaseStatus;
  /** Why it failed or was skipped. */
  detail?: string;
  ms: number;
}

/** The answer to one operation over one transport: a result, or an error body (with the HTTP status over HTTP). */
export interface Outcome {
  op: OpName;
  transport: OpTransport;
  status?: number;
  result?: Json;
  error?: Json;
}

/** A registered user of the suite: keeps its access token fresh and holds one shared authenticated WebSocket. */
export class Actor {
  /** The access token of the registration, kept for the token-expiry cases (refreshing does not revoke it). */
  readonly firstAccessToken: string;
  /** When that token was issued (as far as the suite can tell: when the answer arrived). */
  readonly firstIssuedAt = Date.now();
  private issuedAt = Date.now();
  private refreshing: Promise<void> | undefined;
  private shared: Promise<WsConn> | undefined;

  constructor(
    private readonly ctx: Ctx,
    public auth: Json,
    readonly password: string,
  ) {
    this.firstAccessToken = auth.accessToken;
  }

  get id(): string {
    return this.auth.user.id;
  }

  get username(): string {
    return this.auth.user.username;
  }

  /** A valid access token: refreshed (once at a time, §5.4) when less than a third of its lifetime is left. */
  async token(): Promise<string> {
    const lifetimeMs = this.auth.expiresIn * 1000;
    if (Date.now() - this.issuedAt > (lifetimeMs * 2) / 3) {
      this.refreshing ??= (async () => {
        const answer = await httpJson(this.ctx.base, "POST", "/v1/auth/refresh", { refreshToken: this.auth.refreshToken });
        if (answer.status !== 200) throw new Error(`refreshing ${this.username}'s token failed: ${answer.text}`);
        this.auth = answer.body;
        this.issuedAt = Date.now();
      })().finally(() => {
        this.refreshing = undefined;
      });
      await this.refreshing;
    }
    return this.auth.accessToken;
  }

  /** The actor's shared connection (opened on first use); cases that close a connection open their own. */
  ws(): Promise<WsConn> {
    this.shared ??= this.ctx.connect(this);
    return this.shared;
  }

  async closeShared(): Promise<void> {
    if (this.shared === undefined) return;
    // A shared connection that never opened has nothing to close: its failure already failed the case that opened it.
    const [opened] = await Promise.allSettled([this.shared]);
    if (opened.status === "fulfilled") opened.value.close(1000);
  }
}

export class Ctx {
  readonly base: string;
  readonly wsUrl: string;
  /** Distinguishes this run's users and names from earlier runs against the same deployment. */
  readonly run = randomBytes(4).toString("hex");
  limits!: Limits;
  /** Users: alice and bob share the direct conversation `direct`; carol was never in any of alice's conversations. */
  alice!: Actor;
  bob!: Actor;
  carol!: Actor;
  /** A direct conversation of alice and bob, with alice's text message at seq 2. */
  direct!: Json;
  /** The server's administrator, when `options.admin` names one. */
  admin: Actor | undefined;
  private counter = 0;

  constructor(readonly options: ConformanceOptions) {
    const url = new URL(options.url);
    this.base = url.origin;
    this.wsUrl = `${url.protocol === "https:" ? "wss:" : "ws:"}//${url.host}/v1/ws`;
  }

  get maxWaitMs(): number {
    return this.options.maxWaitMs ?? 15_000;
  }

  /** A name unique to this run (usernames, client ids, titles). */
  unique(label: string): string {
    this.counter += 1;
    return `${label}_${this.run}_${this.counter}`;
  }

  async setup(): Promise<void> {
    [this.alice, this.bob, this.carol] = await Promise.all([this.register("a"), this.register("b"), this.register("c")]);
    if (this.options.admin) {
      const { username, password } = this.options.admin;
      const answer = await httpJson(this.base, "POST", "/v1/auth/login", { username, password });
      if (answer.status !== 200) throw new Error(`signing in the administrator failed: ${answer.status} ${answer.text}`);
      this.admin = new Actor(this, answer.body, password);
    }
    await this.alice.ws();
    const opened = await this.call(this.alice, "conversations.openDirect", { userId: this.bob.id }, "ws");
    this.direct = expectOk(opened);
    expectOk(
      await this.call(
        this.alice,
        "messages.send",
        { conversationId: this.direct.id, clientId: this.unique("m"), body: "hello bob" },
        "ws",
      ),
    );
  }

  async teardown(): Promise<void> {
    await Promise.all([this.alice, this.bob, this.carol, this.admin].filter((a) => a !== undefined).map((a) => a.closeShared()));
  }

  /** Registers a fresh user over HTTP (201 and an AuthResult, or the case fails). */
  async register(label: string): Promise<Actor> {
    const password = randomBytes(12).toString("base64url");
    const username = this.unique(`cf${label}`).toLowerCase().slice(0, 32);
    const answer = await httpJson(this.base, "POST", "/v1/auth/register", { username, password });
    if (answer.status !== 201)
      throw new Error(`registering a user failed (open registration is required): ${answer.status} ${answer.text}`);
    return new Actor(this, answer.body, password);
  }

  /**
   * Logs `actor` into a new device session over HTTP and returns the raw answer. A concurrent login of the same
   * username is refused for a moment (§5.3, `rate_limited` with `retryAfterMs`): the suite's cases log in in parallel,
   * so that answer is waited out.
   */
  async login(actor: Actor): Promise<Awaited<ReturnType<typeof httpJson>>> {
    for (let attempt = 0; ; attempt++) {
      const answer = await httpJson(this.base, "POST", "/v1/auth/login", { username: actor.username, password: actor.password });
      const error = answer.body?.error;
      if (error?.code !== "rate_limited" || error.details?.limit !== "login" || attempt >= 5) return answer;
      await new Promise((r) => setTimeout(r, Math.min(error.retryAfterMs ?? 1000, 2000) + Math.random() * 200));
    }
  }

  /** Opens a WebSocket and completes the handshake as `actor`; records the announced limits. */
  async connect(actor: Actor, options: { autoPong?: boolean } = {}): Promise<WsConn> {
    const conn = await WsConn.open(this.wsUrl, options);
    const welcome = await conn.request("hello", { versions: [1], token: await actor.token() });
    if (welcome.type !== "result") throw new Error(`hello refused: ${JSON.stringify(welcome)}`);
    this.limits ??= welcome.result.limits;
    return conn;
  }

  /** Calls `op` over `transport`; over HTTP the route, query and body come from the operation's definition. */
  async call(actor: Actor | undefined, op: OpName, args: Record<string, unknown>, transport: OpTransport): Promise<Outcome> {
    if (transport === "ws") {
      if (!actor) throw new Error(`${op} over ws needs a user`);
      const frame = await (await actor.ws()).request(op, args);
      return frame.type === "result" ? { op, transport, result: frame.result } : { op, transport, error: frame.error };
    }
    const route = operations[op].http;
    if (!route) throw new Error(`${op} has no HTTP route`);
    const rest: Record<string, unknown> = { ...args };
    const path = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
      const value = rest[name];
      delete rest[name];
      return encodeURIComponent(String(value));
    });
    const headers: Record<string, string> = {};
    if (actor) headers["authorization"] = `Bearer ${await actor.token()}`;
    let answer: Awaited<ReturnType<typeof httpRaw>>;
    if (route.method === "GET" || route.method === "DELETE") {
      const query = new URLSearchParams(Object.entries(rest).map(([k, v]): [string, string] => [k, String(v)])).toString();
      answer = await httpRaw(this.base, route.method, query ? `${path}?${query}` : path, { headers });
    } else {
      headers["content-type"] = "application/json";
      answer = await httpRaw(this.base, route.method, path, { headers, body: JSON.stringify(rest) });
    }
    const error = httpError(answer);
    return error
      ? { op, transport, status: answer.status, error }
      : { op, transport, status: answer.status, result: answer.body };
  }

  /** A group of alice's with the given other members (alice is its owner). */
  async group(members: Actor[], as: Actor = this.alice): Promise<Json> {
    return expectOk(
      await this.call(as, "conversations.createGroup", { title: this.unique("g"), memberIds: members.map((m) => m.id) }, "ws"),
    );
  }

  /** Sends a text message as `as` and returns its ack. */
  async send(as: Actor, conversationId: string, body = "text"): Promise<Json> {
    return expectOk(await this.call(as, "messages.send", { conversationId, clientId: this.unique("m"), body }, "ws"));
  }
}
