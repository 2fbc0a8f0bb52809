// Token refresh shared by every tab of the app. Refresh tokens rotate and replaying a rotated one revokes the session
// (protocol §5), so two tabs must never both present the same token: refreshes are serialized with a Web Lock, and a
// tab whose token another tab already rotated adopts the stored result instead of calling the server.

import { credentialsFromAuth, type FetchLike, type ResponseLike } from "@parley/client";
import type { CredentialStore } from "./credential-store.js";

export type LockRunner = <T>(task: () => Promise<T>) => Promise<T>;

export interface RefreshCoordinatorOptions {
  fetch: FetchLike;
  credentials: CredentialStore;
  /** The session this tab is signed in to (the stored one may belong to another login). */
  currentSessionId: () => string | undefined;
  /** Runs a task exclusively across tabs; without one (old browsers) refreshes are not coordinated. */
  lock?: LockRunner;
  now?: () => number;
}

/** Stored tokens are adopted only if they stay valid this long; otherwise this tab refreshes itself. */
const ADOPT_MIN_VALIDITY_MS = 60_000;

function textResponse(status: number, text: string): ResponseLike {
  return { status, text: async () => text };
}

/** Wraps `fetch` so that `POST …/v1/auth/refresh` is coordinated; every other request passes through. */
export function coordinateRefresh(options: RefreshCoordinatorOptions): FetchLike {
  const now = options.now ?? Date.now;
  const lock: LockRunner = options.lock ?? ((task) => task());
  return (url, init) => {
    if (init.method !== "POST" || !new URL(url, "http://x").pathname.endsWith("/v1/auth/refresh"))
      return options.fetch(url, init);
    return lock(async () => {
      const presented = readRefreshToken(init.body);
      const stored = options.credentials.load();
      if (
        stored &&
        stored.refreshToken !== presented &&
        stored.sessionId === options.currentSessionId() &&
        stored.accessExpiresAt - now() > ADOPT_MIN_VALIDITY_MS
      ) {
        return textResponse(
          200,
          JSON.stringify({
            user: stored.user,
            sessionId: stored.sessionId,
            accessToken: stored.accessToken,
            expiresIn: Math.floor((stored.accessExpiresAt - now()) / 1000),
            refreshToken: stored.refreshToken,
          }),
        );
      }
      const response = await options.fetch(url, init);
      const text = await response.text();
      if (response.status === 200) {
        // Stored before the lock is released, so the next tab sees the rotated token.
        try {
          options.credentials.save(credentialsFromAuth(JSON.parse(text), now()));
        } catch (error) {
          // An unreadable answer is the SDK's to report (it reads the same text). Anything else (storage refused)
          // must not fail the refresh: reported the way the platform reports an uncaught error, after this step.
          if (!(error instanceof SyntaxError)) {
            queueMicrotask(() => {
              throw error;
            });
          }
        }
      }
      return textResponse(response.status, text);
    });
  };
}

function readRefreshToken(body: string | undefined): string | undefined {
  try {
    const value = JSON.parse(body ?? "{}") as { refreshToken?: unknown };
    return typeof value.refreshToken === "string" ? value.refreshToken : undefined;
  } catch {
    return undefined;
  }
}

/** The browser's Web Locks API as a LockRunner, when available. */
export function webLock(name: string): LockRunner | undefined {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return undefined;
  return (task) => locks.request(name, task) as Promise<Awaited<ReturnType<typeof task>>>;
}
