// Time-ordered client message ids (UUIDv7 layout), so the server's idempotency index grows at its end.

export interface IdGeneratorOptions {
  now?: () => number;
  /** Fills the array with random bytes; defaults to Web Crypto. */
  fillRandom?: (bytes: Uint8Array) => void;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Returns a generator of UUIDv7 strings that are strictly increasing within this generator, even for ids made in
 * the same millisecond or when the clock steps back (RFC 9562 §6.2, method 1: a 12-bit counter in `rand_a`).
 */
export function createIdGenerator(options: IdGeneratorOptions = {}): () => string {
  const now = options.now ?? Date.now;
  const fillRandom = options.fillRandom ?? ((bytes: Uint8Array) => globalThis.crypto.getRandomValues(bytes));
  let lastMs = -1;
  let counter = 0;
  const bytes = new Uint8Array(16);
  return () => {
    fillRandom(bytes);
    let ms = now();
    if (ms > lastMs) {
      // Seed the counter low so many ids fit in this millisecond before it overflows.
      counter = ((bytes[6]! & 0x07) << 8) | bytes[7]!;
    } else {
      ms = lastMs;
      counter++;
      if (counter > 0xfff) {
        ms++;
        counter = 0;
      }
    }
    lastMs = ms;
    bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
    bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
    bytes[2] = (ms >>> 24) & 0xff;
    bytes[3] = (ms >>> 16) & 0xff;
    bytes[4] = (ms >>> 8) & 0xff;
    bytes[5] = ms & 0xff;
    bytes[6] = 0x70 | (counter >>> 8);
    bytes[7] = counter & 0xff;
    bytes[8] = 0x80 | (bytes[8]! & 0x3f);
    let out = "";
    for (let i = 0; i < 16; i++) {
      out += HEX[bytes[i]!];
      if (i === 3 || i === 5 || i === 7 || i === 9) out += "-";
    }
    return out;
  };
}

/** The process-wide generator for message client ids. */
export const newClientId: () => string = createIdGenerator();
