// Command-line parsing for the `parley` terminal client: global options, the command and its arguments.

import { parseArgs } from "node:util";

export interface CliArgs {
  /** Command words and their arguments, e.g. ["group", "add", "c1", "bob"]. */
  positionals: string[];
  server: string | undefined;
  password: string | undefined;
  displayName: string | undefined;
  /** `dm` and `group create`: an end-to-end encrypted conversation. */
  encrypted: boolean;
  help: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const USAGE = `Usage: parley <command> [options]

Commands:
  register <username> [--display-name NAME]   create an account and log in
  login <username>                            log in on this machine
  logout                                      log out and forget the saved session
  whoami                                      show the logged-in user
  conversations                               list conversations with unread counts
  dm <username> [--encrypted]                 open the direct conversation (or the encrypted one) and chat
  group create <title> <username...> [--encrypted]  create a group (end-to-end encrypted with --encrypted)
  group add <conversationId> <username>       add a member to a group
  group remove <conversationId> <username>    remove a member from a group
  group ban <conversationId> <username> [reason...]  ban a user from a group (removes them)
  group unban <conversationId> <username>     lift a ban
  group bans <conversationId>                 list a group's bans
  chat <conversationId>                       chat in a conversation (/quit to leave, /help for commands)
  send-file <conversationId> <path> [caption] upload a file and send it (encrypted first in encrypted chats)
  save-file <conversationId> <seq> [dir]      save the files of an encrypted message, decrypted, into dir (default .)
  search <words...>                           search your conversations ("a phrase", prefix*)

Options:
  --server URL        server URL (default: $PARLEY_URL, the saved session's server, or http://localhost:8080)
  --password PASS     password (default: $PARLEY_PASSWORD, else prompted; read from stdin when it is not a terminal)
  --display-name NAME display name for register
  --encrypted         end-to-end encrypted conversation (dm, group create)
  -h, --help          show this help

The session is saved in $PARLEY_HOME/credentials.json (default ~/.parley), readable only by you; the keys of
encrypted conversations in $PARLEY_HOME/mls/<session>/ (losing them loses what this device can decrypt).`;

export function parseCli(argv: readonly string[]): CliArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  return {
    positionals,
    server: values.server,
    password: values.password,
    displayName: values["display-name"],
    encrypted: values.encrypted ?? false,
    help: values.help ?? false,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      server: { type: "string" },
      password: { type: "string" },
      "display-name": { type: "string" },
      encrypted: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
