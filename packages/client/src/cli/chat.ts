// The interactive chat screen: recent history, live messages with names and times, receipt ticks on own messages,
// typing indicators both ways, read marking, and line-by-line sending (also from a non-terminal stdin).

import type { Message, SystemEvent } from "@parley/protocol";
import type { ParleyClient } from "../client.js";
import type { E2ee } from "../e2ee/e2ee.js";
import { ParleyError } from "../errors.js";
import { newClientId } from "../ids.js";
import { hiddenForMe, quoteOf } from "../message-state.js";
import { CHAT_HELP, parseChatCommand } from "./chat-commands.js";
import { attachmentLinks, uploadPath } from "./files.js";
import { ansi, conversationName, formatMessage, formatSearchHit, formatTicks, markAnsi, markPlain } from "./format.js";
import { Names } from "./names.js";
import type { LineHandle, Terminal } from "./terminal.js";

export interface ChatOptions {
  client: ParleyClient;
  term: Terminal;
  conversationId: string;
  /** History entries shown on entry. */
  historyLimit?: number;
  /** End-to-end encryption, started for an encrypted conversation (its history is decrypted, files encrypted). */
  e2ee?: E2ee;
}

interface OwnLine {
  message: Message;
  handle: LineHandle;
  ticks: string;
}

const PROMPT = "> ";
/** Own lines whose ticks are kept up to date. */
const TRACKED_OWN = 200;
/** Lines kept to be redrawn when their message is edited, deleted or reacted to. */
const TRACKED_LINES = 500;

function eventUserIds(event: SystemEvent | null): string[] {
  if (!event) return [];
  const ids = [event.actorId];
  if ("userIds" in event) ids.push(...event.userIds);
  if ("userId" in event) ids.push(event.userId);
  return ids;
}

export async function runChat(options: ChatOptions): Promise<void> {
  const { client, term, conversationId } = options;
  const me = client.user?.id;
  const names = new Names(client, term);
  const style = term.style;
  const own = new Map<number, OwnLine>();
  /** Every shown text line by seq, to redraw on edits, deletes and reactions. */
  const lines = new Map<number, { message: Message; handle: LineHandle }>();
  const earlyUpdates: Message[] = [];
  /** Lines printed for sends not yet acknowledged (terminal only), by clientId. */
  const pending = new Map<string, LineHandle>();
  const early: Message[] = [];
  let historyShown = false;
  let lastShown = 0;
  /** Printing waits for names to load; the chain keeps lines in seq order. */
  let printing: Promise<void> = Promise.resolve();
  let stopReason: string | undefined;
  let wake: () => void = () => {};
  const stopped = new Promise<undefined>((resolve) => {
    wake = () => resolve(undefined);
  });
  const stop = (reason: string) => {
    stopReason = reason;
    wake();
  };

  const ticksOf = (seq: number) => formatTicks(client.messageStatus(conversationId, seq));
  const render = (m: Message, ticks?: string) =>
    formatMessage(m, { me, nameOf: names.nameOf, style, showSeq: true, ...(ticks ? { ticks } : {}) });

  /** `/search <words>`: this conversation's matches, best first, printed above the prompt. */
  const searchHere = async (query: string): Promise<void> => {
    if (!query) {
      term.print(style.dim("* usage: /search <words>"));
      return;
    }
    try {
      const page = await client.search(query, { conversationId, limit: 10 });
      await names.ensure(page.results.map((h) => h.message.senderId));
      term.print(
        style.dim(
          `* ${page.results.length === 0 ? "no" : page.results.length}${page.hasMore ? "+" : ""} match(es) for "${query}"`,
        ),
      );
      const mark = style === ansi ? markAnsi : markPlain;
      for (const hit of page.results)
        term.print(formatSearchHit(hit, { me, nameOf: names.nameOf, style, mark, where: `#${hit.seq}` }));
    } catch (error) {
      term.print(style.dim(`* search failed: ${error instanceof Error ? error.message : String(error)}`));
    }
  };

  const show = (m: Message): void => {
    printing = printing.then(async () => {
      if (m.seq <= lastShown) return;
      // Actions are not lines of their own: the `updated` event that follows redraws their target.
      if (m.kind === "action") {
        lastShown = m.seq;
        return;
      }
      await names.ensure([m.senderId, ...eventUserIds(m.event), ...(m.replyTo ? [m.replyTo.senderId] : [])]);
      lastShown = m.seq;
      const mine = m.senderId === me && m.kind === "text";
      const ticks = mine ? ticksOf(m.seq) : undefined;
      const text = render(m, ticks);
      const waiting = m.clientId === null ? undefined : pending.get(m.clientId);
      let handle: LineHandle;
      if (waiting && term.update(waiting, text)) {
        handle = waiting;
      } else {
        handle = term.print(text);
      }
      if (m.clientId !== null) pending.delete(m.clientId);
      if (m.kind === "text") {
        lines.set(m.seq, { message: m, handle });
        if (lines.size > TRACKED_LINES) lines.delete(lines.keys().next().value!);
      }
      for (const link of await attachmentLinks(client, m.attachments, options.e2ee !== undefined)) term.print(style.dim(link));
      if (mine) {
        own.set(m.seq, { message: m, handle, ticks: ticks! });
        if (own.size > TRACKED_OWN) own.delete(own.keys().next().value!);
      } else {
        client.markRead(conversationId, m.seq);
      }
    });
  };

  /** Redraws a message that changed (or prints it again below when the terminal cannot redraw). */
  const redraw = (m: Message): void => {
    printing = printing.then(async () => {
      await names.ensure([m.senderId, ...(m.replyTo ? [m.replyTo.senderId] : [])]);
      const line = lines.get(m.seq);
      const ownLine = own.get(m.seq);
      if (ownLine) ownLine.message = m;
      const text = render(m, ownLine?.ticks);
      if (line) {
        line.message = m;
        if (term.update(line.handle, text)) return;
      }
      term.print(`${style.dim("↳")} ${text}`);
    });
  };

  /** Refusals already printed by the `send-failed` handler, so a send's rejection does not print them twice. */
  const printedRefusals = new WeakSet<object>();
  /**
   * Lets a queued send or action settle on its own. A refusal is printed by `send-failed`; one still pending when the
   * chat ends (`stopped`) is counted at the end; anything else (the outbox store failed) is printed here.
   */
  const queued = (p: Promise<unknown>): void => {
    p.catch((error: unknown) => {
      if (printedRefusals.has(error as object) || (error instanceof ParleyError && error.code === "stopped")) return;
      term.print(`! not sent: ${error instanceof Error ? error.message : String(error)}`);
    });
  };

  /** Runs a slash command. Queued actions report refusals through `send-failed`, like sends. */
  const runCommand = async (text: string): Promise<void> => {
    const command = parseChatCommand(text);
    switch (command.type) {
      case "reply":
        return queued(client.send(conversationId, command.text, { replyTo: command.seq }));
      case "edit":
        return queued(client.edit(conversationId, command.seq, command.text));
      case "delete":
        if (!command.forMe) return queued(client.deleteMessage(conversationId, command.seq));
        try {
          await client.deleteMessage(conversationId, command.seq, { scope: "me" });
        } catch (error) {
          term.print(`! not deleted: ${(error as Error).message}`);
        }
        return;
      case "react":
        return queued(
          command.remove
            ? client.unreact(conversationId, command.seq, command.emoji)
            : client.react(conversationId, command.seq, command.emoji),
        );
      case "pin":
        return queued(command.remove ? client.unpin(conversationId, command.seq) : client.pin(conversationId, command.seq));
      case "pins":
        try {
          const pins = await client.pins(conversationId);
          if (pins.length === 0) term.print(style.dim("no pinned messages"));
          for (const p of pins) {
            const text = p.message.body ?? (p.message.attachments.length > 0 ? "(file)" : "(not available)");
            term.print(`📌 #${p.seq} ${names.nameOf(p.message.senderId)}: ${text}`);
          }
        } catch (error) {
          term.print(`! pins not listed: ${(error as Error).message}`);
        }
        return;
      case "disappear":
        try {
          await client.setDisappearing(conversationId, command.seconds);
        } catch (error) {
          term.print(`! not changed: ${(error as Error).message}`);
        }
        return;
      case "help":
        for (const line of CHAT_HELP.split("\n")) term.print(line);
    }
  };

  const refreshTicks = (): void => {
    printing = printing.then(() => {
      for (const line of own.values()) {
        const ticks = ticksOf(line.message.seq);
        if (ticks === line.ticks) continue;
        line.ticks = ticks;
        if (!term.update(line.handle, render(line.message, ticks))) term.print(style.dim(`  #${line.message.seq} ${ticks}`));
      }
    });
  };

  const typingPrompt = (): string => {
    const typing = client.typingIn(conversationId).filter((id) => id !== me);
    if (typing.length === 0) return PROMPT;
    const who = typing.map(names.nameOf).join(", ");
    return `${style.dim(`${who} ${typing.length === 1 ? "is" : "are"} typing…`)} ${PROMPT}`;
  };

  let wasConnected = false;
  let announcedDrop = false;
  const offs = [
    client.on("message", (m) => {
      if (m.conversationId !== conversationId) return;
      if (historyShown) show(m);
      else early.push(m);
    }),
    client.on("updated", (m) => {
      if (m.conversationId !== conversationId) return;
      if (!historyShown) {
        earlyUpdates.push(m);
        return;
      }
      redraw(m);
      // Replies on screen quote it: their quote follows (new text, or "deleted message").
      for (const line of lines.values()) {
        if (line.message.replyTo?.seq === m.seq) redraw({ ...line.message, replyTo: quoteOf(m) });
      }
    }),
    client.on("hidden", (h) => {
      if (h.conversationId !== conversationId) return;
      const line = lines.get(h.seq);
      if (line) redraw(hiddenForMe(line.message));
    }),
    client.on("expired", (e) => {
      if (e.conversationId !== conversationId) return;
      // Lines already printed stay in the terminal's scrollback: say that they are gone from the server.
      for (const seq of [...lines.keys()]) if (seq <= e.expiredThrough) lines.delete(seq);
      for (const seq of [...own.keys()]) if (seq <= e.expiredThrough) own.delete(seq);
      term.print(style.dim(`  messages up to #${e.expiredThrough} have disappeared`));
    }),
    client.on("receipts", (r) => {
      if (r.conversationId === conversationId && historyShown) refreshTicks();
    }),
    client.on("typing", (t) => {
      if (t.conversationId !== conversationId || t.userId === me) return;
      void names.ensure([t.userId]).then(() => {
        if (term.interactive) term.setPrompt(typingPrompt());
        else if (t.typing) term.print(`* ${names.nameOf(t.userId)} is typing…`);
      });
    }),
    client.on("state", (state) => {
      if (state === "connected") {
        if (announcedDrop) term.print(style.dim("* reconnected"));
        announcedDrop = false;
        wasConnected = true;
      } else if (wasConnected && !announcedDrop && state === "reconnecting") {
        announcedDrop = true;
        term.print(style.dim("* connection lost; reconnecting… (messages you send are queued)"));
      }
    }),
    client.on("send-failed", ({ entry, error }) => {
      printedRefusals.add(error);
      if (entry.action) term.print(`! ${entry.action.type} of #${entry.action.seq} refused: ${error.message}`);
      else term.print(`! not sent: "${entry.body || entry.attachments?.map((a) => a.name).join(", ")}" (${error.message})`);
    }),
    client.on("auth-lost", () => stop("Your session ended; log in again with `parley login <username>`.")),
  ];

  /** `/file <path>`: upload with a progress line, then send; failures are printed, the chat goes on. */
  const sendFile = async (path: string): Promise<void> => {
    if (path === "") {
      term.print("! usage: /file <path>");
      return;
    }
    let line: LineHandle | undefined;
    try {
      const attachment = await uploadPath(
        client,
        path.replace(/^~(?=\/)/, process.env["HOME"] ?? "~"),
        (text) => {
          if (line && term.update(line, style.dim(text))) return;
          if (!line) line = term.print(style.dim(text));
        },
        options.e2ee,
      );
      if (line) term.update(line, style.dim(`uploaded ${attachment.name}`));
      queued(client.send(conversationId, "", { attachments: [attachment] }));
    } catch (error) {
      term.print(`! file not sent: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  try {
    await client.connect();
    const conversation = await client.conversation(conversationId);
    await names.ensure(conversation.members.map((m) => m.userId));
    const title = conversationName(conversation, me, names.nameOf);
    const who =
      (conversation.kind === "group" ? `group, ${conversation.members.length} members` : "direct") +
      (conversation.encrypted ? ", end-to-end encrypted" : "");
    term.print(style.bold(`── ${title} (${who}) ──  /help for commands, /quit to leave`));
    if (conversation.membership === "left") term.print(style.dim("* you are no longer a member: history only"));

    // Everything up to the cursor is history; later entries arrive as events (possibly already, in `early`).
    const cursor = client.cursor(conversationId) ?? conversation.lastSeq;
    if (cursor > 0) {
      const args = { before: cursor + 1, limit: options.historyLimit ?? 20 };
      const page = await (options.e2ee ? options.e2ee.history(conversationId, args) : client.history(conversationId, args));
      for (const m of page.messages) show(m);
    }
    historyShown = true;
    for (const m of early.splice(0)) show(m);
    for (const m of earlyUpdates.splice(0)) redraw(m);
    await printing;
    client.markRead(conversationId);

    term.startPrompt(typingPrompt());
    term.onEdit((line) => client.setTyping(conversationId, line.trim().length > 0));

    for (;;) {
      const line = await Promise.race([term.nextLine(), stopped]);
      if (line === undefined) break;
      const text = line.trim();
      if (text === "/quit" || text === "/exit") break;
      if (text === "") continue;
      if (text === "/search" || text.startsWith("/search ")) {
        if (term.interactive) term.eraseSubmitted(line, typingPrompt());
        await searchHere(text.slice("/search".length).trim());
        continue;
      }
      if (text === "/file" || text.startsWith("/file ")) {
        if (term.interactive) term.eraseSubmitted(line, typingPrompt());
        await sendFile(text.slice("/file".length).trim());
        continue;
      }
      if (text.startsWith("/")) {
        if (term.interactive) term.eraseSubmitted(line, typingPrompt());
        await runCommand(text);
        continue;
      }
      const clientId = newClientId();
      if (term.interactive) {
        term.eraseSubmitted(line, typingPrompt());
        const draft: Message = {
          id: "",
          conversationId,
          seq: 0,
          senderId: me ?? "",
          clientId,
          kind: "text",
          body: text,
          event: null,
          createdAt: Date.now(),
          attachments: [],
        };
        pending.set(clientId, term.print(render(draft, "…")));
      }
      queued(client.send(conversationId, text, { clientId }));
    }
    await printing;
    if (stopReason) term.print(stopReason);
    else if (client.pendingSends().length > 0) {
      const sent = await client.flush(10_000);
      if (!sent) term.print(`! ${client.pendingSends().length} message(s) could not be sent before leaving`);
    } else {
      await client.flush(2000);
    }
  } finally {
    for (const off of offs) off();
    client.setTyping(conversationId, false);
    await client.close();
  }
}
