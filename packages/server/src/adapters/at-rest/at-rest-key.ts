// The operator's at-rest encryption key: parsed from PARLEY_ENCRYPTION_KEY or the file PARLEY_ENCRYPTION_KEY_FILE,
// and the independent sub-keys derived from it (one for the SQLite file, one wrapping the blobs' keys, one naming it).

import { createHash, hkdfSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { ConfigError } from "../../config/index.js";

export const KEY_VARIABLE = "PARLEY_ENCRYPTION_KEY";
export const KEY_FILE_VARIABLE = "PARLEY_ENCRYPTION_KEY_FILE";
const KEY_BYTES = 32;

/** Raised when the data directory and the key do not go together; the server does not start (main.ts prints it). */
export class AtRestError extends ConfigError {
  constructor(message: string) {
    super(KEY_VARIABLE, message);
    this.name = "AtRestError";
  }
}

/** 32 bytes written as 64 hex digits or as base64 / base64url (43 or 44 characters); anything else is refused. */
export function parseKey(text: string, source: string): Buffer {
  const v = text.trim();
  let bytes: Buffer | undefined;
  if (/^[0-9a-fA-F]{64}$/.test(v)) bytes = Buffer.from(v, "hex");
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(v)) bytes = Buffer.from(v.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  if (bytes?.length !== KEY_BYTES) {
    throw new ConfigError(source, "expected a 32-byte key as 64 hex digits or base64 (`openssl rand -hex 32`)");
  }
  return bytes;
}

/**
 * A master key and what is derived from it with HKDF-SHA256: the SQLite key, the key that wraps each blob's own key,
 * and an 8-byte id stored in blob headers (tells which key sealed a blob without trying it; reveals nothing of it).
 */
export class AtRestKey {
  readonly sqliteKey: Buffer;
  readonly blobWrapKey: Buffer;
  readonly id: Buffer;

  constructor(master: Buffer) {
    if (master.length !== KEY_BYTES) throw new Error(`an at-rest key has ${KEY_BYTES} bytes`);
    const derive = (info: string, length: number) => Buffer.from(hkdfSync("sha256", master, "parley at rest", info, length));
    this.sqliteKey = derive("sqlite", 32);
    this.blobWrapKey = derive("blob key wrapping", 32);
    this.id = derive("key id", 8);
  }

  /** A new random key, as the operator would store it (hex). */
  static generate(): string {
    return randomBytes(KEY_BYTES).toString("hex");
  }

  /** Short, non-secret name of the key for logs and error messages. */
  get label(): string {
    return createHash("sha256").update(this.id).digest("hex").slice(0, 8);
  }
}

/**
 * The key configured by `key` (the variable's value) or `keyFile` (a path): undefined when neither is set, which is
 * what "encryption off" means. Both at once are refused: one of them would be silently ignored.
 */
export function loadKey(
  settings: { key: string | undefined; keyFile: string | undefined },
  names = { key: KEY_VARIABLE, keyFile: KEY_FILE_VARIABLE },
): AtRestKey | undefined {
  if (settings.key !== undefined && settings.keyFile !== undefined) {
    throw new ConfigError(names.key, `set ${names.key} or ${names.keyFile}, not both`);
  }
  if (settings.key !== undefined) return new AtRestKey(parseKey(settings.key, names.key));
  if (settings.keyFile === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(settings.keyFile, "utf8");
  } catch (error) {
    throw new ConfigError(names.keyFile, `cannot read ${settings.keyFile}: ${(error as NodeJS.ErrnoException).code}`);
  }
  return new AtRestKey(parseKey(text, names.keyFile));
}
