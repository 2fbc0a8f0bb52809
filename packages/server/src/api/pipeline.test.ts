// The request pipeline's order of steps, watched from the services it calls: caller, rate limit, operation, validation.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "../domain/app-error.js";
import { Tracing } from "../observability/tracing.js";
import type { Services } from "../services/index.js";
import { type Call, type Caller, RequestPipeline } from "./pipeline.js";

interface Options {
  limited?: boolean;
  badToken?: boolean;
  handlerFails?: Error;
}

/** A pipeline over services that only record the order they were called in. */
function harness(options: Options = {}) {
  const steps: string[] = [];
  const logged: string[] = [];
  const user = { id: "u1", username: "alice" };
  const services = {
    tracing: Tracing.off,
    limits: {
      request(userId: string, op: string) {
        steps.push(`limit ${userId} ${op}`);
        if (options.limited) throw new AppError("rate_limited", "Slow down", { limit: "requests" }, 1000);
      },
      async auth(op: string, address: string) {
        steps.push(`limit-address ${address} ${op}`);
        if (options.limited) throw new AppError("rate_limited", "Slow down", { limit: "auth_ip" }, 1000);
      },
    },
    auth: {
      async authenticate(token: string | undefined) {
        steps.push(`authenticate ${token}`);
        if (options.badToken) throw new AppError("unauthorized", "Bad token");
        return { userId: "u1", sessionId: "s1" };
      },
      async login() {
        steps.push("handler auth.login");
        return { user };
      },
    },
    accounts: {
      async me(userId: string) {
        steps.push(`handler me.get ${userId}`);
        if (options.handlerFails) throw options.handlerFails;
        return user;
      },
      async updateProfile(userId: string, displayName: string) {
        steps.push(`handler me.update ${userId} ${displayName}`);
        return user;
      },
    },
  } as unknown as Services;
  const pipeline = new RequestPipeline(services);
  const invoke = (caller: Caller, op: string, args: unknown) =>
    pipeline.invoke({
      op,
      caller,
      transport: "session" in caller ? "ws" : "http",
      args: () => {
        steps.push("read args");
        return args;
      },
      receivedAt: 0,
      log: {
        error: (fields: object, message: string) => logged.push(`${message} ${JSON.stringify(fields)}`),
        info: (_fields: object, message: string) => logged.push(message),
      } as unknown as Call["log"],
    });
  return { steps, logged, invoke };
}

const live: Caller = {
  session: { id: "c1", userId: "u1", sessionId: "s1", watchPresence: () => {}, unwatchPresence: () => {} },
};
const http: Caller = { token: "t0k3n", address: "198.51.100.7" };

describe("request pipeline", () => {
  it("runs a live request: rate limit, then arguments, then the handler", async () => {
    const { steps, invoke } = harness();
    const outcome = await invoke(live, "me.update", { displayName: "Alice" });
    assert.equal(outcome.ok, true);
    assert.deepEqual(steps, ["limit u1 me.update", "read args", "handler me.update u1 Alice"]);
  });

  it("authenticates an HTTP request before drawing from its user's budget", async () => {
    const { steps, invoke } = harness();
    assert.equal((await invoke(http, "me.get", {})).ok, true);
    assert.deepEqual(steps, ["authenticate t0k3n", "limit u1 me.get", "read args", "handler me.get u1"]);
  });

  it("answers a bad token before anything else, without reading the arguments", async () => {
    const { steps, invoke } = harness({ badToken: true });
    const outcome = await invoke(http, "me.update", { displayName: 42 });
    assert.deepEqual(outcome.ok ? undefined : outcome.error.code, "unauthorized");
    assert.deepEqual(steps, ["authenticate t0k3n"]);
  });

  it("draws a public operation from the address's budget, never authenticating", async () => {
    const { steps, invoke } = harness();
    assert.equal((await invoke(http, "auth.login", { username: "alice", password: "pw" })).ok, true);
    assert.deepEqual(steps, ["limit-address 198.51.100.7 auth.login", "read args", "handler auth.login"]);
  });

  it("refuses over the limit before looking at the operation or its arguments", async () => {
    for (const [op, args] of [
      ["me.update", { displayName: 42 }],
      ["no.such.op", {}],
      ["hello", { versions: [1] }],
    ] as const) {
      const { steps, logged, invoke } = harness({ limited: true });
      const outcome = await invoke(live, op, args);
      assert.deepEqual(outcome.ok ? undefined : outcome.error.code, "rate_limited", op);
      assert.deepEqual(steps, [`limit u1 ${op}`], op);
      assert.deepEqual(logged, ["rate limited"]);
    }
    const { steps, invoke } = harness({ limited: true });
    const outcome = await invoke(http, "auth.login", { username: "alice" });
    assert.deepEqual(outcome.ok ? undefined : outcome.error.code, "rate_limited");
    assert.deepEqual(steps, ["limit-address 198.51.100.7 auth.login"]);
  });

  it("checks the operation on the transport before the arguments", async () => {
    const cases = [
      ["no.such.op", "unknown_op"],
      ["auth.login", "unknown_op"],
      ["hello", "already_authenticated"],
    ] as const;
    for (const [op, code] of cases) {
      const { steps, invoke } = harness();
      const outcome = await invoke(live, op, { not: "valid" });
      assert.deepEqual(outcome.ok ? undefined : outcome.error.code, code, op);
      assert.deepEqual(steps, [`limit u1 ${op}`], op);
    }
    const { steps, invoke } = harness();
    const outcome = await invoke(http, "typing", { conversationId: "c", typing: true });
    assert.deepEqual(outcome.ok ? undefined : outcome.error.code, "unknown_op");
    assert.deepEqual(steps, ["authenticate t0k3n", "limit u1 typing"]);
  });

  it("validates the arguments before the handler runs", async () => {
    const { steps, invoke } = harness();
    const outcome = await invoke(live, "me.update", { displayName: 42 });
    assert.equal(outcome.ok ? undefined : outcome.error.code, "validation_failed");
    assert.equal(outcome.ok ? undefined : outcome.error.details?.["field"], "displayName");
    assert.deepEqual(steps, ["limit u1 me.update", "read args"]);
  });

  it("maps an unexpected failure to `internal`, logged with the operation and never shown", async () => {
    const { logged, invoke } = harness({ handlerFails: new Error("disk on fire") });
    const outcome = await invoke(live, "me.get", {});
    assert.deepEqual(outcome.ok ? undefined : outcome.error, {
      code: "internal",
      message: "Internal server error",
      retryable: true,
    });
    assert.equal(logged.length, 1);
    assert.ok(logged[0]!.startsWith("request failed") && logged[0]!.includes('"op":"me.get"'), logged[0]);
  });
});
