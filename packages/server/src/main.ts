#!/usr/bin/env node
// Process entry point: start a node from environment variables and stop it gracefully on SIGINT/SIGTERM, or run an
// operator command (`main.js admin …`, admin-cli.ts; `main.js encryption …`, admin/encryption-command.ts;
// `main.js backup|restore <dir>`, admin/backup-command.ts) and exit.

import { ConfigError } from "./config/index.js";
import { isBackendUnavailable } from "./ports/errors.js";

if (process.argv[2] === "admin") {
  // `parley-server admin grant|revoke <username>`: a console command, not a server start (nor its imports).
  try {
    const { runAdminCommand } = await import("./admin-cli.js");
    process.exit(
      await runAdminCommand(process.argv.slice(3), process.env, {
        out: (line) => console.log(line),
        err: (line) => console.error(line),
      }),
    );
  } catch (error) {
    console.error(`parley-server: ${error instanceof ConfigError ? `invalid configuration: ${error.message}` : String(error)}`);
    process.exit(1);
  }
}

// Commands load only what they use, not the whole server.
if (process.argv[2] === "encryption") {
  const { runEncryptionCommand } = await import("./admin/encryption-command.js");
  process.exit(await runEncryptionCommand(process.argv.slice(3)));
}

if (process.argv[2] === "backup" || process.argv[2] === "restore") {
  const { runBackupCommand } = await import("./admin/backup-command.js");
  process.exit(
    await runBackupCommand(process.argv[2], process.argv.slice(3), process.env, {
      out: (line) => console.log(line),
      err: (line) => console.error(line),
    }),
  );
}

try {
  const { startParley } = await import("./app.js");
  const server = await startParley();
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.log.info({ signal }, "shutting down");
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("unhandledRejection", (error) => server.log.error({ err: error }, "unhandled rejection"));
  console.log(`Parley is running at ${server.url} (WebSocket ${server.wsUrl}). Press Ctrl+C to stop.`);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(`Invalid configuration: ${error.message}`);
    process.exit(2);
  }
  if (isBackendUnavailable(error)) {
    // PostgreSQL or Redis did not answer at start-up; a supervisor restarts the node and it tries again.
    console.error(`Cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
  throw error;
}
