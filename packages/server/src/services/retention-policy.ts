// How long entries live (docs/protocol.md §6.14): the server's maximum message age (a persisted setting over
// PARLEY_MAX_MESSAGE_AGE, read per use so every node follows an administrator's change) and a conversation's limits
// as clients see them.

import type { Conversation } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import type { ServerSettingsStore } from "../ports/admin-store.js";
import type { ConversationRecord } from "../ports/store.js";

const MAX_AGE_KEY = "max_message_age";
/** Stored for "no maximum": an administrator's explicit choice, which wins over the configured default. */
const NONE = "none";

/** The retention fields of a conversation as clients see them (absent when they do not apply). */
export type RetentionView = Pick<Conversation, "disappearAfter" | "retention" | "maxAge" | "expiredThrough">;

/** The shortest of the limits given (seconds), or null when there is none. */
export function shortestAge(...ages: (number | null)[]): number | null {
  let shortest: number | null = null;
  for (const age of ages) if (age !== null && (shortest === null || age < shortest)) shortest = age;
  return shortest;
}

/** `record`'s retention fields, with `serverMaxAge` (seconds or null) folded into `maxAge`. */
export function retentionView(record: ConversationRecord, serverMaxAge: number | null): RetentionView {
  const maxAge = shortestAge(record.retentionSeconds, record.disappearSeconds, serverMaxAge);
  return {
    ...(record.disappearSeconds === null ? {} : { disappearAfter: record.disappearSeconds }),
    ...(record.retentionSeconds === null ? {} : { retention: record.retentionSeconds }),
    ...(maxAge === null ? {} : { maxAge }),
    ...(record.expiredSeq === 0 ? {} : { expiredThrough: record.expiredSeq }),
  };
}

export class RetentionPolicy {
  constructor(
    private readonly store: ServerSettingsStore,
    /** The maximum until an administrator sets one (PARLEY_MAX_MESSAGE_AGE); null: none. */
    private readonly defaultMaxAge: number | null,
  ) {}

  /** The server's maximum message age in seconds, or null when entries are kept forever. */
  async maxMessageAge(): Promise<number | null> {
    const stored = (await this.store.getSettings([MAX_AGE_KEY]))[MAX_AGE_KEY];
    if (stored === undefined) return this.defaultMaxAge;
    if (stored === NONE) return null;
    const seconds = Number(stored);
    return Number.isSafeInteger(seconds) && seconds > 0 ? seconds : this.defaultMaxAge;
  }

  /** The stored form of an administrator's choice, for ServerSettingsStore.putSettings. */
  settingValues(maxMessageAge: number | null): Record<string, string> {
    return { [MAX_AGE_KEY]: maxMessageAge === null ? NONE : String(maxMessageAge) };
  }

  /** A conversation's retention may only be shorter than the server's maximum (or equal to it); else retention_too_long. */
  async requireWithinServerMax(seconds: number | null): Promise<void> {
    if (seconds === null) return;
    const max = await this.maxMessageAge();
    if (max !== null && seconds > max) {
      throw new AppError(
        "retention_too_long",
        `A conversation's retention may be at most the server's maximum message age (${max} seconds)`,
        { field: "seconds", max },
      );
    }
  }
}
