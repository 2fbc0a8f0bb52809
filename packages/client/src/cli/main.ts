#!/usr/bin/env node
// Entry point of the `parley` terminal client: parses the command line, runs one command, maps failures to exit codes.

import { isParleyError } from "../errors.js";
import { parseCli, USAGE, UsageError } from "./args.js";
import { CliError, COMMANDS, type Context } from "./commands.js";
import { parleyHome } from "./session-file.js";
import { Terminal } from "./terminal.js";
import { terminalText } from "./terminal-text.js";

async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let term: Terminal | undefined;
  try {
    const args = parseCli(argv);
    const name = args.positionals[0];
    if (args.help || !name || name === "help") {
      process.stdout.write(`${USAGE}\n`);
      return name || args.help ? 0 : 2;
    }
    const command = COMMANDS[name];
    if (!command) throw new UsageError(`Unknown command "${name}".`);
    term = new Terminal(process.stdin, process.stdout, env);
    const ctx: Context = { args, env, home: parleyHome(env), term };
    await command(ctx);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`parley: ${terminalText(error.message)}\n\n${USAGE}\n`);
      return 2;
    }
    if (error instanceof CliError) {
      process.stderr.write(`parley: ${terminalText(error.message)}\n`);
      return 1;
    }
    if (isParleyError(error)) {
      const hint =
        error.code === "network_error"
          ? " (is the server running? set --server or PARLEY_URL)"
          : error.code === "not_authenticated" || error.code === "invalid_refresh_token"
            ? " (log in again with `parley login <username>`)"
            : "";
      // The message may come from the server, and may quote what someone else typed.
      process.stderr.write(`parley: ${terminalText(error.message)} [${error.code}]${hint}\n`);
      return 1;
    }
    process.stderr.write(`parley: ${terminalText(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
    return 1;
  } finally {
    term?.close();
  }
}

// Exit explicitly: a socket still finishing its close handshake must not keep a finished command alive.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  () => process.exit(1),
);
