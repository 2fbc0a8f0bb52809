// The `parley` commands: session handling (register, login, logout, whoami) and conversation management, each a
// short function over the SDK.

import { rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import type { ParleyClient as BrowserClient } from "../client.js";
import { E2ee } from "../e2ee/e2ee.js";
import { FileMlsStateStore } from "../e2ee/file-state-store.js";
import { ParleyClient } from "../node.js";
import type { CliArgs } from "./args.js";
import { UsageError } from "./args.js";
import { runChat } from "./chat.js";
import { CliError } from "./errors.js";
import { attachmentLinks, uploadPath } from "./files.js";
import { conversationName, formatAttachment, formatMessage, formatSearchHit, formatTime, table, userLabel } from "./format.js";
import { Names } from "./names.js";
import { deleteSession, loadSession, type SavedSession, saveSession } from "./session-file.js";
import type { Terminal } from "./terminal.js";

export const DEFAULT_SERVER = "http://localhost:8080";

export interface Context {
  args: CliArgs;
  env: NodeJS.ProcessEnv;
  home: string;
  term: Terminal;
}

export { CliError };

const normalize = (url: string) => url.replace(/\/+$/, "");

function deviceName(): string {
  return `parley-cli on ${hostname()}`.slice(0, 64);
}

/** A client whose credential changes (login, refresh, loss) are written to the session file as they happen. */
function createClient(ctx: Context, server: string, session?: SavedSession): BrowserClient {
  const client = new ParleyClient({
    server,
    deviceName: deviceName(),
    ...(session ? { credentials: session.credentials } : {}),
  });
  client.on("credentials", (credentials) => {
    if (credentials) saveSession(ctx.home, { server, credentials });
    else deleteSession(ctx.home);
  });
  return client;
}

/** The saved session and a client for it; commands other than register/login need one. */
function signedIn(ctx: Context): { client: BrowserClient; server: string } {
  const session = loadSession(ctx.home);
  if (!session) throw new CliError("Not logged in. Run `parley login <username>` (or `parley register <username>`).");
  const server = normalize(session.server);
  if (ctx.args.server && normalize(ctx.args.server) !== server) {
    throw new CliError(`The saved session is for ${server}; run \`parley login\` with --server ${ctx.args.server} first.`);
  }
  return { client: createClient(ctx, server, session), server };
}

/** This device's MLS state: $PARLEY_HOME/mls/<session id>/ (one device per session, as the server counts them). */
function mlsDir(ctx: Context, sessionId: string): string {
  return join(ctx.home, "mls", sessionId);
}

/**
 * End-to-end encryption for the signed-in client: the device registered (at sign-in already, so that others can add
 * it to encrypted conversations), KeyPackages topped up, pending Welcomes joined; its state in the MLS directory.
 */
async function encryption(ctx: Context, client: BrowserClient): Promise<E2ee> {
  const sessionId = client.credentials?.sessionId;
  if (sessionId === undefined) throw new CliError("Not logged in.");
  return E2ee.start(client, { store: new FileMlsStateStore(mlsDir(ctx, sessionId)) });
}

/** Encryption when the conversation is encrypted, else none. */
async function encryptionFor(ctx: Context, client: BrowserClient, conversationId: string): Promise<E2ee | undefined> {
  const conversation = await client.conversation(conversationId);
  return conversation.encrypted ? encryption(ctx, client) : undefined;
}

async function password(ctx: Context): Promise<string> {
  const given = ctx.args.password ?? ctx.env.PARLEY_PASSWORD;
  if (given) return given;
  const answer = await ctx.term.question("Password: ", { silent: true });
  if (!answer) throw new UsageError("A password is required (--password, PARLEY_PASSWORD, or type it when asked).");
  return answer;
}

function arg(ctx: Context, index: number, name: string): string {
  const value = ctx.args.positionals[index];
  if (!value) throw new UsageError(`Missing <${name}>.`);
  return value;
}

function print(ctx: Context, text: string): void {
  ctx.term.print(text);
}

export async function register(ctx: Context): Promise<void> {
  const username = arg(ctx, 1, "username");
  const server = normalize(ctx.args.server ?? ctx.env.PARLEY_URL ?? DEFAULT_SERVER);
  const client = createClient(ctx, server);
  const user = await client.register(username, await password(ctx), {
    ...(ctx.args.displayName ? { displayName: ctx.args.displayName } : {}),
  });
  await encryption(ctx, client);
  print(ctx, `Registered and logged in as ${userLabel(user)} on ${server}.`);
}

export async function login(ctx: Context): Promise<void> {
  const username = arg(ctx, 1, "username");
  const saved = loadSession(ctx.home);
  const server = normalize(ctx.args.server ?? ctx.env.PARLEY_URL ?? saved?.server ?? DEFAULT_SERVER);
  const client = createClient(ctx, server);
  const user = await client.login(username, await password(ctx));
  await encryption(ctx, client);
  print(ctx, `Logged in as ${userLabel(user)} on ${server}.`);
}

export async function logout(ctx: Context): Promise<void> {
  const session = loadSession(ctx.home);
  if (!session) {
    print(ctx, "Not logged in.");
    return;
  }
  const { client } = signedIn(ctx);
  const sessionId = client.credentials?.sessionId;
  await client.logout();
  deleteSession(ctx.home);
  // The device is gone with its session: its MLS keys can never be used again.
  if (sessionId !== undefined) rmSync(mlsDir(ctx, sessionId), { recursive: true, force: true });
  print(ctx, "Logged out.");
}

export async function whoami(ctx: Context): Promise<void> {
  const { client, server } = signedIn(ctx);
  const me = await client.me();
  print(ctx, `${userLabel(me)} on ${server}`);
}

export async function conversations(ctx: Context): Promise<void> {
  const { client } = signedIn(ctx);
  const me = client.user?.id;
  const list = await client.conversations();
  if (list.length === 0) {
    print(ctx, "No conversations yet. Start one with `parley dm <username>`.");
    return;
  }
  const names = new Names(client, ctx.term);
  await names.ensure(
    list.flatMap((c) => [...c.members.map((m) => m.userId), ...(c.lastMessage ? [c.lastMessage.senderId] : [])]),
  );
  const sorted = [...list].sort((a, b) => (b.lastMessage?.createdAt ?? b.createdAt) - (a.lastMessage?.createdAt ?? a.createdAt));
  const rows = [["ID", "NAME", "KIND", "UNREAD", "LAST MESSAGE"]];
  for (const c of sorted) {
    const last = c.lastMessage ? formatMessage(c.lastMessage, { me, nameOf: names.nameOf }) : "";
    const name = conversationName(c, me, names.nameOf) + (c.membership === "left" ? " (left)" : "");
    rows.push([c.id, name, c.kind, String(c.unread), last.length > 60 ? `${last.slice(0, 59)}…` : last]);
  }
  for (const line of table(rows)) print(ctx, line);
}

export async function dm(ctx: Context): Promise<void> {
  const username = arg(ctx, 1, "username");
  const { client } = signedIn(ctx);
  const other = await client.getUser(username);
  if (ctx.args.encrypted) {
    const e2ee = await encryption(ctx, client);
    const conversation = await e2ee.openDirect(other.id);
    await runChat({ client, term: ctx.term, conversationId: conversation.id, e2ee });
    return;
  }
  const conversation = await client.openDirect(other.id);
  await runChat({ client, term: ctx.term, conversationId: conversation.id });
}

export async function chat(ctx: Context): Promise<void> {
  const conversationId = arg(ctx, 1, "conversationId");
  const { client } = signedIn(ctx);
  const e2ee = await encryptionFor(ctx, client, conversationId);
  await runChat({ client, term: ctx.term, conversationId, ...(e2ee ? { e2ee } : {}) });
}

/** `save-file <conversationId> <seq> [dir]`: the files of an encrypted message, decrypted into `dir`. */
export async function saveFile(ctx: Context): Promise<void> {
  const conversationId = arg(ctx, 1, "conversationId");
  const seq = Number(arg(ctx, 2, "seq").replace(/^#/, ""));
  if (!Number.isSafeInteger(seq) || seq < 1) throw new UsageError("<seq> is a message number, e.g. 12");
  const dir = ctx.args.positionals[3] ?? ".";
  const { client } = signedIn(ctx);
  try {
    const e2ee = await encryptionFor(ctx, client, conversationId);
    if (e2ee === undefined) throw new CliError("Not an encrypted conversation: use the download links `chat` shows.");
    await client.connect();
    await client.decrypted();
    const [message] = (await e2ee.history(conversationId, { after: seq - 1, limit: 1 })).messages;
    if (message?.seq !== seq || message.attachments.length === 0)
      throw new CliError(`Message #${seq} has no files this device can read.`);
    for (const a of message.attachments) {
      const path = join(dir, basename(a.name) || a.id);
      await writeFile(path, await e2ee.download(a.id), { mode: 0o600 });
      print(ctx, `Saved ${formatAttachment(a)} to ${path}.`);
    }
  } finally {
    await client.close();
  }
}

/** `send-file <conversationId> <path> [caption...]`: uploads the file and sends it, with an optional caption. */
export async function sendFile(ctx: Context): Promise<void> {
  const conversationId = arg(ctx, 1, "conversationId");
  const path = arg(ctx, 2, "path");
  const caption = ctx.args.positionals.slice(3).join(" ");
  const { client } = signedIn(ctx);
  try {
    const e2ee = await encryptionFor(ctx, client, conversationId);
    let line = ctx.term.interactive ? ctx.term.print("uploading…") : undefined;
    const attachment = await uploadPath(
      client,
      path,
      (text) => {
        if (line && !ctx.term.update(line, text)) line = ctx.term.print(text);
      },
      e2ee,
    );
    await client.connect();
    const ack = await client.send(conversationId, caption, { attachments: [attachment] });
    print(ctx, `Sent ${formatAttachment(attachment)} as #${ack.seq}.`);
    for (const link of await attachmentLinks(client, [attachment], e2ee !== undefined)) print(ctx, link);
  } finally {
    await client.close();
  }
}

export async function group(ctx: Context): Promise<void> {
  const sub = arg(ctx, 1, "create|add|remove|ban|unban|bans");
  const { client } = signedIn(ctx);
  if (sub === "create") {
    const title = arg(ctx, 2, "title");
    const usernames = ctx.args.positionals.slice(3);
    if (usernames.length === 0) throw new UsageError("Name at least one member: group create <title> <username...>");
    const users = await Promise.all(usernames.map((u) => client.getUser(u)));
    const ids = users.map((u) => u.id);
    const conversation = ctx.args.encrypted
      ? await (await encryption(ctx, client)).createGroup(title, ids)
      : await client.createGroup(title, ids);
    const kind = ctx.args.encrypted ? "end-to-end encrypted group" : "group";
    print(ctx, `Created ${kind} "${title}" with ${usernames.join(", ")}: ${conversation.id}`);
    return;
  }
  if (sub === "add" || sub === "remove") {
    const conversationId = arg(ctx, 2, "conversationId");
    const user = await client.getUser(arg(ctx, 3, "username"));
    // In an encrypted group the change is followed by the MLS commit that adds or removes the user's devices.
    const members = (await encryptionFor(ctx, client, conversationId)) ?? client;
    const message =
      sub === "add" ? await members.addMembers(conversationId, [user.id]) : await members.removeMember(conversationId, user.id);
    const verb = sub === "add" ? "Added" : "Removed";
    print(
      ctx,
      `${verb} ${userLabel(user)} ${sub === "add" ? "to" : "from"} ${conversationId} (${formatTime(message.createdAt)}).`,
    );
    return;
  }
  if (sub === "ban" || sub === "unban") {
    const conversationId = arg(ctx, 2, "conversationId");
    const user = await client.getUser(arg(ctx, 3, "username"));
    if (sub === "unban") {
      await client.unbanMember(conversationId, user.id);
      print(ctx, `Unbanned ${userLabel(user)} from ${conversationId}: they can be added again.`);
      return;
    }
    const reason = ctx.args.positionals.slice(4).join(" ");
    const { message } = await client.banMember(conversationId, user.id, reason === "" ? undefined : reason);
    print(ctx, `Banned ${userLabel(user)} from ${conversationId}${message ? " and removed them" : ""}.`);
    return;
  }
  if (sub === "bans") {
    const conversationId = arg(ctx, 2, "conversationId");
    const bans = await client.listBans(conversationId);
    if (bans.length === 0) {
      print(ctx, "Nobody is banned from this group.");
      return;
    }
    const users = await client.getUsers(bans.map((b) => b.userId));
    const byId = new Map(users.map((u) => [u.id, u]));
    for (const ban of bans) {
      const who = byId.get(ban.userId);
      print(ctx, `${who ? userLabel(who) : ban.userId}  ${formatTime(ban.createdAt)}${ban.reason ? `  ${ban.reason}` : ""}`);
    }
    return;
  }
  throw new UsageError(`Unknown group command "${sub}": use create, add, remove, ban, unban or bans.`);
}

export async function search(ctx: Context): Promise<void> {
  const query = ctx.args.positionals.slice(1).join(" ").trim();
  if (!query) throw new UsageError("Give the words to search for: search <words...>");
  const { client } = signedIn(ctx);
  const me = client.user?.id;
  const page = await client.search(query, { limit: 20 });
  if (page.results.length === 0) {
    print(ctx, `No messages match "${query}".`);
    return;
  }
  const names = new Names(client, ctx.term);
  const list = await client.conversations();
  const byId = new Map(list.map((c) => [c.id, c]));
  await names.ensure([...page.results.map((h) => h.message.senderId), ...list.flatMap((c) => c.members.map((m) => m.userId))]);
  for (const hit of page.results) {
    const c = byId.get(hit.conversationId);
    const where = c ? conversationName(c, me, names.nameOf) : hit.conversationId;
    print(ctx, formatSearchHit(hit, { me, nameOf: names.nameOf, where: `${where} #${hit.seq}` }));
  }
  print(ctx, page.hasMore ? "More matches exist: add words to narrow the search." : `${page.results.length} match(es).`);
}

export const COMMANDS: Record<string, (ctx: Context) => Promise<void>> = {
  register,
  login,
  logout,
  whoami,
  conversations,
  dm,
  chat,
  group,
  "send-file": sendFile,
  "save-file": saveFile,
  search,
};
