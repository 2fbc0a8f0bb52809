// Typing indicators both ways: throttled reports of this user's typing, and who else is typing with local expiry.

import type { EventMap } from "@parley/protocol";
import { systemTimers, type TimerHandle, type Timers } from "./timers.js";

export type TypingEvent = EventMap["typing"];

export interface TypingNotifierOptions {
  send: (conversationId: string, typing: boolean) => void;
  /** `typing: true` is repeated at most this often while the user keeps typing. */
  intervalMs?: number;
  /** Without a new keystroke for this long, `typing: false` is sent. */
  idleMs?: number;
  timers?: Timers;
}

/** This user's typing: call `typing(id, true)` on every keystroke; the server sees a throttled trickle. */
export class TypingNotifier {
  readonly #send: (conversationId: string, typing: boolean) => void;
  /** Adjusted to the server's `typingTimeoutMs` so that repeats arrive before the server expires the indicator. */
  intervalMs: number;
  readonly #idleMs: number;
  readonly #timers: Timers;
  readonly #active = new Map<string, { sentAt: number; idle: TimerHandle }>();

  constructor(options: TypingNotifierOptions) {
    this.#send = options.send;
    this.intervalMs = options.intervalMs ?? 3000;
    this.#idleMs = options.idleMs ?? 5000;
    this.#timers = options.timers ?? systemTimers;
  }

  typing(conversationId: string, typing: boolean): void {
    const current = this.#active.get(conversationId);
    if (!typing) {
      if (!current) return;
      this.#timers.clearTimeout(current.idle);
      this.#active.delete(conversationId);
      this.#send(conversationId, false);
      return;
    }
    const now = this.#timers.now();
    const idle = this.#timers.setTimeout(() => this.typing(conversationId, false), this.#idleMs);
    if (current) {
      this.#timers.clearTimeout(current.idle);
      current.idle = idle;
      if (now - current.sentAt < this.intervalMs) return;
      current.sentAt = now;
    } else {
      this.#active.set(conversationId, { sentAt: now, idle });
    }
    this.#send(conversationId, true);
  }

  /** Stops every indicator silently (the connection is gone, so the server already stopped them). */
  reset(): void {
    for (const a of this.#active.values()) this.#timers.clearTimeout(a.idle);
    this.#active.clear();
  }
}

/** Who is typing where, as told by the server; an indicator that is not refreshed expires by itself. */
export class TypingTracker {
  readonly #onChange: (event: TypingEvent) => void;
  readonly #timers: Timers;
  readonly #slackMs: number;
  readonly #active = new Map<string, Map<string, TimerHandle>>();

  constructor(options: { onChange: (event: TypingEvent) => void; timers?: Timers; slackMs?: number }) {
    this.#onChange = options.onChange;
    this.#timers = options.timers ?? systemTimers;
    this.#slackMs = options.slackMs ?? 1000;
  }

  /** Applies a server `typing` event; reports it when it changes what the app should show. */
  apply(event: TypingEvent): void {
    const users = this.#active.get(event.conversationId);
    const timer = users?.get(event.userId);
    if (timer !== undefined) this.#timers.clearTimeout(timer);
    if (!event.typing) {
      if (timer === undefined) return;
      users!.delete(event.userId);
      this.#onChange(event);
      return;
    }
    // A lost `typing: false` must not leave the indicator on forever.
    const expiry = this.#timers.setTimeout(
      () => this.stop(event.conversationId, event.userId),
      event.expiresInMs + this.#slackMs,
    );
    if (users) users.set(event.userId, expiry);
    else this.#active.set(event.conversationId, new Map([[event.userId, expiry]]));
    if (timer === undefined) this.#onChange(event);
  }

  /** The user stopped typing (their message arrived, or the indicator expired). */
  stop(conversationId: string, userId: string): void {
    const users = this.#active.get(conversationId);
    const timer = users?.get(userId);
    if (timer === undefined) return;
    this.#timers.clearTimeout(timer);
    users!.delete(userId);
    this.#onChange({ conversationId, userId, typing: false, expiresInMs: 0 });
  }

  /** Users typing in the conversation now. */
  typingIn(conversationId: string): string[] {
    return [...(this.#active.get(conversationId)?.keys() ?? [])];
  }

  reset(): void {
    for (const [conversationId, users] of this.#active) for (const userId of [...users.keys()]) this.stop(conversationId, userId);
    this.#active.clear();
  }
}
