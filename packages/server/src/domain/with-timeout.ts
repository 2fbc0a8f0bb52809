// Bounds the wait for a promise: a probe that hangs counts as failed rather than stalling whoever asked.

/** Settles as `promise` does, or rejects with "no answer within `ms` ms" first. The promise itself runs on. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
