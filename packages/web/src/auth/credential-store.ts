// The signed-in session kept in localStorage, so that a reload stays signed in (tokens are refreshed on start).

import type { Credentials } from "@parley/client";
import type { KeyValueStorage } from "../state/local-outbox-store.js";

export const SESSION_KEY = "parley.session";

export class CredentialStore {
  readonly #storage: KeyValueStorage;

  constructor(storage: KeyValueStorage) {
    this.#storage = storage;
  }

  load(): Credentials | undefined {
    return parseCredentials(this.#storage.getItem(SESSION_KEY));
  }

  save(credentials: Credentials | undefined): void {
    if (credentials) this.#storage.setItem(SESSION_KEY, JSON.stringify(credentials));
    else this.#storage.removeItem(SESSION_KEY);
  }
}

/** Reads stored credentials, refusing anything that does not have the expected shape (old or tampered data). */
export function parseCredentials(raw: string | null): Credentials | undefined {
  if (!raw) return undefined;
  try {
    const c = JSON.parse(raw) as Partial<Credentials>;
    if (
      c.user &&
      typeof c.user.id === "string" &&
      typeof c.user.username === "string" &&
      typeof c.sessionId === "string" &&
      typeof c.accessToken === "string" &&
      typeof c.refreshToken === "string" &&
      typeof c.accessExpiresAt === "number"
    ) {
      return c as Credentials;
    }
    return undefined;
  } catch {
    return undefined; // Unreadable: treated as signed out.
  }
}
