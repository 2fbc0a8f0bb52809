// Caps what one client address holds open at once (HTTP requests in progress, WebSockets), so that a few clients
// that send slowly or never finish cannot take all of the server's sockets and file descriptors.

import type { FastifyInstance } from "fastify";
import type { Config } from "../config/index.js";
import { AppError } from "../domain/app-error.js";
import { addressKey, clientAddress } from "./security.js";

/** A refused client may try again this soon: a slot frees as soon as one of its requests is answered. */
const RETRY_AFTER_MS = 1000;

export class AddressSlots {
  /** Address key → slots held; an address holding none is not kept. */
  private readonly held = new Map<string, number>();

  /** `max` 0 = no cap (nothing is counted); `onRefused` counts refusals (metrics). */
  constructor(
    private readonly max: number,
    private readonly onRefused: () => void = () => {},
  ) {}

  /**
   * Takes a slot for `key`, the addressKey of the client address rate limits use (the socket's peer, or the one the
   * trusted proxies report). Returns its release, which may be called more than once, or undefined when the address
   * holds `max` slots already.
   */
  take(key: string): (() => void) | undefined {
    if (this.max <= 0) return () => {};
    const count = this.held.get(key) ?? 0;
    if (count >= this.max) {
      this.onRefused();
      return undefined;
    }
    this.held.set(key, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(key) ?? 1) - 1;
      if (left <= 0) this.held.delete(key);
      else this.held.set(key, left);
    };
  }

  /** Addresses holding at least one slot. */
  get addresses(): number {
    return this.held.size;
  }
}

/** The refusal sent to a client over its cap (HTTP 429 with Retry-After, like every `rate_limited`). */
export function slotsRefusal(max: number): AppError {
  return new AppError(
    "rate_limited",
    `Too many open connections from this address (at most ${max})`,
    { limit: "connections" },
    RETRY_AFTER_MS,
  );
}

/** Every HTTP request holds a slot of its client's address from its headers until its answer is sent or it aborts. */
export function capRequestsPerAddress(
  app: FastifyInstance,
  config: Pick<Config, "trustProxy" | "maxConnectionsPerAddress">,
  slots: AddressSlots,
): void {
  if (config.maxConnectionsPerAddress <= 0) return;
  app.addHook("onRequest", (request, reply, done) => {
    const release = slots.take(addressKey(clientAddress(request.raw, config.trustProxy)));
    if (!release) {
      // The refused request's body is not read: close rather than drain it.
      reply.header("connection", "close");
      return done(slotsRefusal(config.maxConnectionsPerAddress));
    }
    reply.raw.once("close", release);
    done();
  });
}
