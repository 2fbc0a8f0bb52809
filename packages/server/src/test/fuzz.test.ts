// Property-based tests (fast-check) of everything a client can send: random and mutated WebSocket frames and HTTP
// requests never crash the server, are always answered with a documented error code, and leave stored data unchanged.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type AuthResult, CLOSE_CODES, ERRORS, isErrorCode, OP_NAMES, operations, type ServerFrame } from "@parley/protocol";
import fc from "fast-check";
import { http, RawClient, register, startTestServer, type TestServer } from "./harness.js";

/** Runs per property: enough to explore every decoding rule, few enough to keep `npm test` quick. Override to dig. */
const RUNS = Number(process.env["PARLEY_FUZZ_RUNS"] ?? 100);
const CLOSE_CODE_VALUES = new Set<number>(Object.values(CLOSE_CODES).map((c) => c.code));

/** What the server's decoder will read as the frame's rid: a string of 1–64 characters, or null (docs §3.2). */
function expectedRid(text: string): string | null {
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
    const rid = (value as { rid?: unknown }).rid;
    return typeof rid === "string" && rid.length > 0 && rid.length <= 64 ? rid : null;
  } catch {
    return null;
  }
}

function assertDocumented(frames: readonly ServerFrame[], what: string): void {
  for (const f of frames) {
    assert.ok(["result", "error", "event"].includes(f.type), `${what}: unknown frame type`);
    if (f.type !== "error") continue;
    assert.ok(isErrorCode(f.error.code), `${what}: undocumented error code ${f.error.code}`);
    assert.notEqual(f.error.code, "internal", `${what}: the server failed on input it should have refused: ${f.error.message}`);
    assert.equal(f.error.retryable, ERRORS[f.error.code].retryable, `${what}: retryable flag of ${f.error.code}`);
  }
}

describe("fuzzing the frame decoder and the HTTP API", () => {
  let server: TestServer;
  let owner: AuthResult;
  let outsider: AuthResult;
  let member: RawClient;
  let stranger: RawClient;
  let ownerWs: RawClient;
  let conversationId: string;
  let snapshot: string;
  /** Requests that must be valid but aimed at the protected conversation: the seeds of the mutation fuzzer. */
  let templates: { op: string; args: Record<string, unknown> }[];

  /** What must not change: the protected conversation's entries and members as its owner sees them. */
  async function state(): Promise<string> {
    const view = await ownerWs.request("conversations.get", { conversationId });
    const { messages } = await ownerWs.request("messages.history", { conversationId, limit: 200 });
    return JSON.stringify({
      lastSeq: view.lastSeq,
      title: view.title,
      members: view.members.map((m) => [m.userId, m.role]),
      messages,
    });
  }

  /** Sends one frame and resolves with every frame received until its answer (or until a sentinel ping is answered). */
  async function exchange(client: RawClient, text: string): Promise<ServerFrame[]> {
    const start = client.frames.length;
    client.ws.send(text);
    // What arrives is UTF-8: lone surrogates become U+FFFD on the way.
    const rid = expectedRid(Buffer.from(text, "utf8").toString("utf8"));
    if (rid !== null) {
      await client.waitFor(() => client.frames.slice(start).find((f) => f.type !== "event" && f.rid === rid), 5000);
    } else {
      await client.waitFor(() => client.frames.slice(start).find((f) => f.type === "error" && f.rid === null), 5000);
    }
    return client.frames.slice(start);
  }

  before(async () => {
    // Rate limits are off (harness): they would answer `rate_limited` to a fuzzer that never waits.
    server = await startTestServer();
    let bob: AuthResult;
    [owner, bob, outsider] = (await Promise.all([register(server), register(server), register(server)])) as [
      AuthResult,
      AuthResult,
      AuthResult,
    ];
    ownerWs = await RawClient.connect(server, owner.accessToken);
    member = await RawClient.connect(server, bob.accessToken);
    stranger = await RawClient.connect(server, outsider.accessToken);
    const group = await ownerWs.request("conversations.createGroup", { title: "Fuzzed", memberIds: [bob.user.id] });
    conversationId = group.id;
    for (let i = 0; i < 3; i++)
      await ownerWs.request("messages.send", { conversationId, clientId: `seed-${i}`, body: `seed ${i}` });
    snapshot = await state();
    templates = [
      { op: "messages.send", args: { conversationId, clientId: "fz", body: "fuzz" } },
      { op: "messages.history", args: { conversationId, before: 3, limit: 10 } },
      { op: "receipts.mark", args: { conversationId, delivered: 2, read: 1 } },
      { op: "typing", args: { conversationId, typing: true } },
      { op: "conversations.rename", args: { conversationId, title: "Taken over" } },
      { op: "conversations.leave", args: { conversationId } },
      { op: "members.add", args: { conversationId, userIds: [outsider.user.id] } },
      { op: "members.remove", args: { conversationId, userId: bob.user.id } },
      { op: "members.setRole", args: { conversationId, userId: bob.user.id, role: "admin" } },
      { op: "conversations.get", args: { conversationId } },
      { op: "sync", args: { cursors: { [conversationId]: 0 }, receiptsSince: 0, limit: 10 } },
      { op: "presence.subscribe", args: { userIds: [owner.user.id] } },
      { op: "users.getMany", args: { userIds: [owner.user.id] } },
      { op: "hello", args: { versions: [1], token: owner.accessToken } },
      { op: "messages.edit", args: { conversationId, seq: 2, clientId: "fe", body: "defaced" } },
      { op: "messages.delete", args: { conversationId, seq: 2, clientId: "fd", scope: "everyone" } },
      { op: "messages.delete", args: { conversationId, seq: 2, clientId: "fm", scope: "me" } },
      { op: "messages.react", args: { conversationId, seq: 2, clientId: "fr", emoji: "👍" } },
      { op: "messages.send", args: { conversationId, clientId: "fq", body: "quote", replyTo: 2 } },
    ];
  });

  after(async () => {
    await Promise.all([member, stranger, ownerWs].map((c) => c.close()));
    await server.close();
  });

  it("answers arbitrary text and JSON frames from a member with documented errors and changes nothing", async () => {
    let n = 0;
    // Every frame a member could send that cannot be a valid request for the protected conversation (its id never
    // appears), from raw text through JSON values to well-formed envelopes with nonsense arguments.
    const frames = fc.oneof(
      fc.string({ unit: "binary", maxLength: 200 }),
      fc.json({ maxDepth: 3 }),
      fc
        .record({
          rid: fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.jsonValue({ maxDepth: 1 })),
          op: fc.oneof(fc.constantFrom(...OP_NAMES), fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 1 })),
          args: fc.oneof(
            fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
            fc.jsonValue({ maxDepth: 2 }),
          ),
        })
        .map((f) => JSON.stringify({ ...f, rid: typeof f.rid === "string" ? `${f.rid.slice(0, 50)}#${++n}` : f.rid })),
    );
    await fc.assert(
      fc.asyncProperty(frames, async (text) => {
        const answers = await exchange(member, text);
        assertDocumented(answers, `frame ${JSON.stringify(text).slice(0, 200)}`);
        assert.equal(member.closeCode, undefined, "the connection stays open");
      }),
      { numRuns: RUNS },
    );
    assert.equal(await state(), snapshot, "the conversation is unchanged");
  });

  it("answers mutations of valid requests from an outsider with documented errors and never lets one through", async () => {
    let n = 0;
    const mutation = fc.oneof(
      fc.constant((f: Record<string, unknown>) => f),
      fc
        .constantFrom("conversationId", "clientId", "body", "userIds", "userId", "limit", "cursors", "title")
        .map((key) => (f: Record<string, unknown>) => {
          const args = { ...(f["args"] as Record<string, unknown>) };
          delete args[key];
          return { ...f, args };
        }),
      fc
        .tuple(fc.string({ maxLength: 16 }), fc.jsonValue({ maxDepth: 2 }))
        .map(([key, value]) => (f: Record<string, unknown>) => ({
          ...f,
          args: { ...(f["args"] as Record<string, unknown>), [key]: value },
        })),
      fc.jsonValue({ maxDepth: 2 }).map((value) => (f: Record<string, unknown>) => {
        const args = { ...(f["args"] as Record<string, unknown>) };
        const keys = Object.keys(args);
        if (keys.length > 0) args[keys[keys.length - 1]!] = value;
        return { ...f, args };
      }),
      fc.constantFrom(...OP_NAMES).map((op) => (f: Record<string, unknown>) => ({ ...f, op })),
      fc.jsonValue({ maxDepth: 1 }).map((rid) => (f: Record<string, unknown>) => ({ ...f, rid })),
      fc.jsonValue({ maxDepth: 2 }).map((args) => (f: Record<string, unknown>) => ({ ...f, args })),
    );
    /** Byte-level damage to the serialized frame: truncation or a random character spliced in. */
    const damage = fc.oneof(
      fc.constant((text: string) => text),
      fc.nat().map((i) => (text: string) => text.slice(0, i % (text.length + 1))),
      fc.tuple(fc.nat(), fc.string({ unit: "binary", minLength: 1, maxLength: 3 })).map(([i, s]) => (text: string) => {
        const at = i % (text.length + 1);
        return text.slice(0, at) + s + text.slice(at);
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat(templates.length - 1),
        mutation,
        fc.array(mutation, { maxLength: 2 }),
        damage,
        async (t, first, more, hurt) => {
          const template = templates[t]!;
          let frame: Record<string, unknown> = { rid: `m${++n}`, op: template.op, args: template.args };
          for (const m of [first, ...more]) frame = m(frame);
          const text = hurt(JSON.stringify(frame));
          const answers = await exchange(stranger, text);
          assertDocumented(answers, `frame ${text.slice(0, 200)}`);
          assert.equal(stranger.closeCode, undefined, "the connection stays open");
          for (const f of answers) {
            if (f.type === "event") assert.ok(!JSON.stringify(f).includes(conversationId), "no event of the conversation");
          }
        },
      ),
      { numRuns: RUNS * 2 },
    );
    assert.equal(await state(), snapshot, "the conversation is unchanged");
  });

  it("closes connections whose first frame is not a valid hello with a documented close code", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary", maxLength: 100 }),
          fc.json({ maxDepth: 2 }),
          fc
            .record({
              rid: fc.string({ minLength: 1, maxLength: 8 }),
              op: fc.constant("hello"),
              args: fc.jsonValue({ maxDepth: 2 }),
            })
            .map((f) => JSON.stringify(f)),
        ),
        async (text) => {
          const client = await RawClient.open(server);
          client.ws.send(text);
          // Undecodable frames are answered and the socket waits for hello (§3.2 rules 3–7); a request that is not
          // hello ends the wait at once (rule 8) instead of after helloTimeoutMs.
          client.ws.send('{"rid":"after","op":"ping"}');
          const code = await client.closed;
          assert.ok(CLOSE_CODE_VALUES.has(code), `closed with undocumented code ${code}`);
          assertDocumented(client.frames, `first frame ${text.slice(0, 100)}`);
          assert.ok(!client.frames.some((f) => f.type === "result"), "no result without a valid hello");
        },
      ),
      { numRuns: Math.ceil(RUNS / 3) },
    );
  });

  it("answers arbitrary HTTP requests under /v1 with a documented error code and status, never a server error", async () => {
    const routes = OP_NAMES.flatMap((op) => (operations[op].http ? [operations[op].http] : []));
    const segment = fc.oneof(
      fc.string({ maxLength: 20 }).map(encodeURIComponent),
      fc.constantFrom("..", "%", "%E0%A4%A", "%00", "%2F", "C_1", conversationId, "a".repeat(300)),
    );
    const path = fc.oneof(
      fc.tuple(fc.constantFrom(...routes), fc.array(segment, { minLength: 3, maxLength: 3 })).map(([route, [a, b, c]]) => {
        const values = [a, b, c];
        return route.path.replace(/:\w+/g, () => values.shift() ?? "x");
      }),
      fc.array(segment, { maxLength: 4 }).map((parts) => `/v1/${parts.join("/")}`),
    );
    const request = fc.record({
      method: fc.constantFrom("GET", "POST", "PATCH", "PUT", "DELETE"),
      path,
      query: fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }), {
        nil: undefined,
      }),
      body: fc.option(fc.oneof(fc.json({ maxDepth: 2 }), fc.string({ maxLength: 50 })), { nil: undefined }),
      contentType: fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", undefined),
      auth: fc.constantFrom("outsider", "none", "garbage"),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        if (r.contentType && r.body !== undefined) headers["content-type"] = r.contentType;
        if (r.auth === "outsider") headers["authorization"] = `Bearer ${outsider.accessToken}`;
        if (r.auth === "garbage") headers["authorization"] = "Bearer x.y.z";
        const query = r.query ? `?${new URLSearchParams(r.query)}` : "";
        const withBody = r.body !== undefined && r.method !== "GET";
        const res = await fetch(server.url + r.path + query, {
          method: r.method,
          headers,
          ...(withBody ? { body: r.body } : {}),
        });
        const text = await res.text();
        // URLs are normalized on the way ("/v1/.." is "/"): only answers of the API itself are checked.
        if (!new URL(res.url).pathname.startsWith("/v1/")) return;
        const what = `${r.method} ${r.path}${query} ${JSON.stringify(r.body)?.slice(0, 80)}`;
        assert.ok(res.status < 500, `${what}: status ${res.status} ${text.slice(0, 200)}`);
        const body = JSON.parse(text) as { error?: { code: string } };
        if (res.status >= 400) {
          assert.ok(isErrorCode(body.error?.code), `${what}: undocumented error ${text.slice(0, 200)}`);
          assert.equal(
            res.status,
            ERRORS[body.error!.code as keyof typeof ERRORS].status,
            `${what}: status of ${body.error!.code}`,
          );
        }
      }),
      { numRuns: RUNS * 2 },
    );
    assert.equal(await state(), snapshot, "the conversation is unchanged");
    assert.equal((await http(server, "GET", "/healthz")).status, 200, "still serving");
  });
});
