// Failures of optional work (caching for offline use, registering the service worker): the app goes on without it,
// and the console says what failed and why. Never for work whose failure the user must see.

export function reportBestEffort(what: string, error: unknown): void {
  console.warn(`Parley: ${what} failed; the app goes on without it.`, error);
}
