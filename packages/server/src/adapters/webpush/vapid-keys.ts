// Where the VAPID key pair comes from: the configuration, the shared store (cluster), or a file in the data directory.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../config/index.js";
import type { PushStore, VapidKeys } from "../../ports/push-store.js";
import { generateVapidKeys } from "./web-push-provider.js";

export const VAPID_FILE = "vapid-keys.json";

/**
 * Configured keys win. Otherwise a store that shares keys between nodes (PostgreSQL) is asked to keep the first pair
 * any node generated, so two nodes can never sign with different keys. Otherwise (embedded) the pair is generated once
 * into `<dataDir>/vapid-keys.json` (mode 0600) and reused: subscriptions are bound to the public key, so a new pair
 * would silently orphan every device.
 */
export async function resolveVapidKeys(
  configured: { publicKey: string | undefined; privateKey: string | undefined },
  dataDir: string,
  push: PushStore,
): Promise<{ keys: VapidKeys; source: "config" | "store" | "file" }> {
  if (configured.publicKey !== undefined && configured.privateKey !== undefined) {
    const keys = { publicKey: configured.publicKey, privateKey: configured.privateKey };
    checkKeys(keys);
    return { keys, source: "config" };
  }
  if (push.claimVapidKeys) return { keys: await push.claimVapidKeys(generateVapidKeys(), Date.now()), source: "store" };
  const path = join(dataDir, VAPID_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  if (text !== undefined) {
    const keys = JSON.parse(text) as VapidKeys;
    checkKeys(keys, path);
    return { keys, source: "file" };
  }
  const keys = generateVapidKeys();
  // wx: if another process created it meanwhile, fail rather than overwrite the pair its subscriptions use.
  writeFileSync(path, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  return { keys, source: "file" };
}

function checkKeys(keys: VapidKeys, where = "PARLEY_VAPID_PUBLIC_KEY"): void {
  const pub = Buffer.from(keys.publicKey ?? "", "base64url");
  const priv = Buffer.from(keys.privateKey ?? "", "base64url");
  if (pub.length !== 65 || pub[0] !== 4)
    throw new ConfigError(where, "the VAPID public key must be a 65-byte P-256 point (base64url)");
  if (priv.length !== 32) throw new ConfigError(where, "the VAPID private key must be 32 bytes (base64url)");
}
