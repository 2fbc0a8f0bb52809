// The `parley` commands: session handling (register, login, logout, whoami) and conversation management, each a
// short function over the SDK.

import { hostname } from "node:os";
import type { ParleyClient as BrowserClient } from "../client.js";
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
  print(ctx, `Registered and logged in as ${userLabel(user)} on ${server}.`);
}

export async function login(ctx: Context): Promise<void> {
  const username = arg(ctx, 1, "username");
  const saved = loadSession(ctx.home);
  const server = normalize(ctx.args.server ?? ctx.env.PARLEY_URL ?? saved?.server ?? DEFAULT_SERVER);
  const client = createClient(ctx, server);
  const user = await client.login(username, await password(ctx));
  print(ctx, `Logged in as ${userLabel(user)} on ${server}.`);
}

export async function logout(ctx: Context): Promise<void> {
  const session = loadSession(ctx.home);
  if (!session) {
    print(ctx, "Not logged in.");
    return;
  }
  const { client } = signedIn(ctx);
  await client.logout();
  deleteSession(ctx.home);
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
  const conversation = await client.openDirect(other.id);
  await runChat({ client, term: ctx.term, conversationId: conversation.id });
}

export async function chat(ctx: Context): Promise<void> {
  const conversationId = arg(ctx, 1, "conversationId");
  const { client } = signedIn(ctx);
  await runChat({ client, term: ctx.term, conversationId });
}

/** `send-file <conversationId> <path> [caption...]`: uploads the file and sends it, with an optional caption. */
export async function sendFile(ctx: Context): Promise<void> {
  const conversationId = arg(ctx, 1, "conversationId");
  const path = arg(ctx, 2, "path");
  const caption = ctx.args.positionals.slice(3).join(" ");
  const { client } = signedIn(ctx);
  try {
    let line = ctx.term.interactive ? ctx.term.print("uploading…") : undefined;
    const attachment = await uploadPath(client, path, (text) => {
      if (line && !ctx.term.update(line, text)) line = ctx.term.print(text);
    });
    await client.connect();
    const ack = await client.send(conversationId, caption, { attachments: [attachment] });
    print(ctx, `Sent ${formatAttachment(attachment)} as #${ack.seq}.`);
    for (const link of await attachmentLinks(client, [attachment])) print(ctx, link);
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
    const conversation = await client.createGroup(
      title,
      users.map((u) => u.id),
    );
    print(ctx, `Created group "${title}" with ${usernames.join(", ")}: ${conversation.id}`);
    return;
  }
  if (sub === "add" || sub === "remove") {
    const conversationId = arg(ctx, 2, "conversationId");
    const user = await client.getUser(arg(ctx, 3, "username"));
    const message =
      sub === "add" ? await client.addMembers(conversationId, [user.id]) : await client.removeMember(conversationId, user.id);
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
  search,
};
