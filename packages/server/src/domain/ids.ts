// Identifier generation: time-ordered, URL-safe ids so that B-tree indexes append instead of splitting pages.

import { randomBytes } from "node:crypto";

let lastMs = 0;
let counter = 0;
/** Random bytes drawn in bulk: one crypto call per ~450 ids instead of one per id. */
const POOL_SIZE = 4096;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;

function random9(): Buffer {
  if (poolOffset + 9 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const out = pool.subarray(poolOffset, poolOffset + 9);
  poolOffset += 9;
  return out;
}

/** 29 base32 characters: millisecond time, a per-millisecond counter, 72 random bits (ULID-like, monotonic per process). */
export function newId(): string {
  const now = Date.now();
  if (now === lastMs) counter = (counter + 1) & 0xffff;
  else {
    lastMs = now;
    counter = 0;
  }
  const rand = random9();
  let out = encode(now, 10) + encode(counter, 4);
  for (let i = 0; i < 9; i += 3) out += encode((rand[i]! << 16) | (rand[i + 1]! << 8) | rand[i + 2]!, 5);
  return out;
}

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

function encode(value: number, length: number): string {
  let out = "";
  let v = value;
  for (let i = 0; i < length; i++) {
    out = ALPHABET[v % 32]! + out;
    v = Math.floor(v / 32);
  }
  return out;
}
