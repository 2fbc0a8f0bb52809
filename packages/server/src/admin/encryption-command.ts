// `main.js encryption <generate-key | migrate | rotate>`: the operator's commands for encryption at rest, run with the
// server stopped and the same environment it runs with (PARLEY_DATA_DIR and the key settings).

import { resolve } from "node:path";
import { AtRestKey, loadKey } from "../adapters/at-rest/at-rest-key.js";
import { COMMAND, type EncryptionReport, migrateDataDir, rotateDataDir } from "../adapters/at-rest/data-dir-encryption.js";
import { ConfigError, loadConfig } from "../config/index.js";

const USAGE = `Usage: ${COMMAND} <command>

  generate-key   print a new random key (64 hex digits) to store in a file for PARLEY_ENCRYPTION_KEY_FILE
  migrate        encrypt the plaintext data directory PARLEY_DATA_DIR with the key of
                 PARLEY_ENCRYPTION_KEY_FILE (or PARLEY_ENCRYPTION_KEY)
  rotate         re-key the encrypted data directory from that key to the one in
                 --new-key-file <path> (or PARLEY_NEW_ENCRYPTION_KEY_FILE / PARLEY_NEW_ENCRYPTION_KEY)

Stop the server first. An interrupted migrate or rotate is finished by running it again with the same keys.`;

export interface CommandOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

const CONSOLE: CommandOutput = { out: (l) => console.log(l), err: (l) => console.error(l) };

function describe(report: EncryptionReport): string {
  const database = { encrypted: "encrypted", rekeyed: "re-keyed", already: "already done", none: "none yet" }[report.database];
  return `database: ${database}; blobs: ${report.sealed} encrypted, ${report.rewrapped} re-keyed, ${report.unchanged} already done`;
}

/** Runs one command; resolves to the process exit code (0 done, 1 failed, 2 bad usage or configuration). */
export async function runEncryptionCommand(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  output: CommandOutput = CONSOLE,
): Promise<number> {
  const [command, ...rest] = args;
  try {
    if (command === "generate-key" && rest.length === 0) {
      output.out(AtRestKey.generate());
      return 0;
    }
    const config = loadConfig(env);
    const dataDir = resolve(config.dataDir);
    const key = loadKey({ key: config.encryptionKey, keyFile: config.encryptionKeyFile });
    if (command === "migrate" && rest.length === 0) {
      if (!key)
        throw new ConfigError("PARLEY_ENCRYPTION_KEY_FILE", "set it (or PARLEY_ENCRYPTION_KEY) to the key to encrypt with");
      output.out(`encrypting ${dataDir} with key ${key.label}…`);
      output.out(describe(await migrateDataDir(dataDir, key)));
      output.out("done: start the server with the same key setting");
      return 0;
    }
    if (command === "rotate" && (rest.length === 0 || (rest.length === 2 && rest[0] === "--new-key-file"))) {
      if (!key) throw new ConfigError("PARLEY_ENCRYPTION_KEY_FILE", "set it (or PARLEY_ENCRYPTION_KEY) to the current key");
      const newKey = loadKey(
        {
          key: env["PARLEY_NEW_ENCRYPTION_KEY"] || undefined,
          keyFile: rest[1] ?? (env["PARLEY_NEW_ENCRYPTION_KEY_FILE"] || undefined),
        },
        {
          key: "PARLEY_NEW_ENCRYPTION_KEY",
          keyFile: rest[1] === undefined ? "PARLEY_NEW_ENCRYPTION_KEY_FILE" : "--new-key-file",
        },
      );
      if (!newKey) throw new ConfigError("--new-key-file", "give the new key's file (or PARLEY_NEW_ENCRYPTION_KEY_FILE)");
      output.out(`re-keying ${dataDir} from key ${key.label} to key ${newKey.label}…`);
      output.out(describe(await rotateDataDir(dataDir, key, newKey)));
      output.out(
        "done: point PARLEY_ENCRYPTION_KEY_FILE at the new key before starting the server; the old key no longer opens it",
      );
      return 0;
    }
    output.err(USAGE);
    return 2;
  } catch (error) {
    if (error instanceof ConfigError) {
      output.err(`encryption ${command}: ${error.message}`);
      return 2;
    }
    output.err(`encryption ${command} failed: ${(error as Error).message}`);
    return 1;
  }
}
