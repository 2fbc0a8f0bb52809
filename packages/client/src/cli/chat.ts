// The interactive chat screen: recent history, live messages with names and times, receipt ticks on own messages,
// typing indicators both ways, read marking, and line-by-line sending (also from a non-terminal stdin).

import type { Message, SystemEvent } from "@parley/protocol";
import type { ParleyClient } from "../client.js";
import { newClientId } from "../ids.js";
import { ansi, conversationName, formatMessage, formatSearchHit, formatTicks, markAnsi, markPlain } from "./format.js";
import { Names } from "./names.js";
import type { LineHandle, Terminal } from "./terminal.js";

export interface ChatOptions {
  client: ParleyClient;
  term: Terminal;
  conversationId: string;
  /** History entries shown on entry. */
  historyLimit?: number;
}

interface OwnLine {
  message: Message;
  handle: LineHandle;
  ticks: string;
}

const PROMPT = "> ";
/** Own lines whose ticks are kept up to date. */
const TRACKED_OWN = 200;

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
  const names = new Names(client);
  const style = term.style;
  const own = new Map<number, OwnLine>();
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
    formatMessage(m, { me, nameOf: names.nameOf, style, ...(ticks ? { ticks } : {}) });

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
      await names.ensure([m.senderId, ...eventUserIds(m.event)]);
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
      if (mine) {
        own.set(m.seq, { message: m, handle, ticks: ticks! });
        if (own.size > TRACKED_OWN) own.delete(own.keys().next().value!);
      } else {
        client.markRead(conversationId, m.seq);
      }
    });
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
      term.print(`! not sent: "${entry.body}" (${error.message})`);
    }),
    client.on("auth-lost", () => stop("Your session ended; log in again with `parley login <username>`.")),
  ];

  try {
    await client.connect();
    const conversation = await client.conversation(conversationId);
    await names.ensure(conversation.members.map((m) => m.userId));
    const title = conversationName(conversation, me, names.nameOf);
    const who = conversation.kind === "group" ? `group, ${conversation.members.length} members` : "direct";
    term.print(style.bold(`── ${title} (${who}) ──  /quit to leave, /search <words> to search it`));
    if (conversation.membership === "left") term.print(style.dim("* you are no longer a member: history only"));

    // Everything up to the cursor is history; later entries arrive as events (possibly already, in `early`).
    const cursor = client.cursor(conversationId) ?? conversation.lastSeq;
    if (cursor > 0) {
      const page = await client.history(conversationId, { before: cursor + 1, limit: options.historyLimit ?? 20 });
      for (const m of page.messages) show(m);
    }
    historyShown = true;
    for (const m of early.splice(0)) show(m);
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
        };
        pending.set(clientId, term.print(render(draft, "…")));
      }
      client.send(conversationId, text, { clientId }).catch(() => {
        // Reported through the send-failed event.
      });
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
