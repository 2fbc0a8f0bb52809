// Test support: a scripted long-poll server behind a fake fetch (records requests; polls wait for the test).

import type { FetchLike, ResponseLike } from "../http-api.js";

export interface LpRequest {
  method: string;
  endpoint: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string | undefined;
}

interface HeldPoll {
  request: LpRequest;
  answer: (status: number, body: unknown) => void;
}

const respond = (status: number, body: unknown, cookies: string[] = []): ResponseLike =>
  Object.assign(
    { status, text: async () => (typeof body === "string" ? body : JSON.stringify(body)) },
    { headers: { getSetCookie: () => cookies } },
  );

/**
 * Answers `open` with `openAnswer` (a welcome by default), `send` and `close` with `{}` unless scripted, and keeps
 * polls pending until the test answers them with `answerPoll`.
 */
export class FakeLongPollServer {
  readonly requests: LpRequest[] = [];
  readonly held: HeldPoll[] = [];
  openAnswer: { status: number; body: unknown } = {
    status: 200,
    body: {
      welcome: { version: 1, connectionId: "K1" },
      secret: "s3cret",
      pollTimeoutMs: 25_000,
      expiresAfterMs: 45_000,
    },
  };
  /** Scripted answers to the next sends (`"network"` rejects like a failed fetch); then `{}`. */
  readonly sendAnswers: ({ status: number; body: unknown } | "network")[] = [];
  /** `Set-Cookie` values of the open answer (a load balancer's stickiness cookie). */
  openCookies: string[] = [];
  /** When true every request fails like an unreachable server. */
  offline = false;

  readonly fetch: FetchLike = async (url, init) => {
    const u = new URL(url);
    const request: LpRequest = {
      method: init.method,
      endpoint: u.pathname.split("/").pop() ?? "",
      query: Object.fromEntries(u.searchParams),
      headers: init.headers,
      body: init.body,
    };
    this.requests.push(request);
    if (this.offline) throw new TypeError("fetch failed");
    switch (request.endpoint) {
      case "open":
        return respond(this.openAnswer.status, this.openAnswer.body, this.openCookies);
      case "poll":
        return new Promise<ResponseLike>((resolve, reject) => {
          init.signal?.addEventListener("abort", () => reject(new Error("aborted")));
          this.held.push({ request, answer: (status, body) => resolve(respond(status, body)) });
        });
      case "send": {
        const next = this.sendAnswers.shift();
        if (next === "network") throw new TypeError("fetch failed");
        return next ? respond(next.status, next.body) : respond(200, {});
      }
      default:
        return respond(200, {});
    }
  };

  of(endpoint: string): LpRequest[] {
    return this.requests.filter((r) => r.endpoint === endpoint);
  }

  /** Answers the oldest pending poll. */
  answerPoll(body: unknown, status = 200): LpRequest {
    const poll = this.held.shift();
    if (!poll) throw new Error("no poll pending");
    poll.answer(status, body);
    return poll.request;
  }
}
