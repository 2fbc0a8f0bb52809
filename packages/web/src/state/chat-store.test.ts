import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ClientEvents,
  type ConnectionState,
  type ConversationSummary,
  type Credentials,
  Emitter,
  type Member,
  type Message,
  type OutboxEntry,
  type ParleyClient,
  ParleyError,
  type ReceiptState,
  type User,
} from "@parley/client";
import { CredentialStore, SESSION_KEY } from "../auth/credential-store.js";
import { type BrowserHooks, ChatStore } from "./chat-store.js";
import { MemoryStorage } from "./local-outbox-store.js";

const ann: User = { id: "ann", username: "ann", displayName: "Ann Lee", createdAt: 0 };
const bob: User = { id: "bob", username: "bob", displayName: "Bob Stone", createdAt: 0 };
const creds = (sessionId = "S1", refreshToken = "r1"): Credentials => ({
  user: ann,
  sessionId,
  accessToken: "a",
  refreshToken,
  accessExpiresAt: Date.now() + 600_000,
});

function member(userId: string, readSeq = 0): Member {
  return { userId, role: "member", joinedSeq: 1, deliveredSeq: readSeq, readSeq };
}

function text(conversationId: string, seq: number, senderId: string, clientId: string | null = null): Message {
  return {
    id: `M${seq}`,
    conversationId,
    seq,
    senderId,
    clientId,
    kind: "text",
    body: `m${seq}`,
    event: null,
    createdAt: 1000 + seq,
    attachments: [],
  };
}

function summary(id: string, partial: Partial<ConversationSummary> = {}): ConversationSummary {
  return {
    id,
    kind: "direct",
    title: null,
    createdAt: 1,
    lastSeq: 1,
    members: [member("ann"), member("bob")],
    lastMessage: null,
    unread: 0,
    mentions: 0,
    membership: "member",
    ...partial,
  };
}

/** The part of ParleyClient the store uses, driven by the test. */
class FakeClient extends Emitter<ClientEvents> {
  credentials: Credentials | undefined;
  state: ConnectionState = "disconnected";
  limits = undefined;
  list: ConversationSummary[] = [];
  byId = new Map<string, ConversationSummary>();
  outbox: OutboxEntry[] = [];
  sent: { conversationId: string; body: string; clientId: string | undefined; replyTo?: number }[] = [];
  reads: [string, number | undefined][] = [];
  receiptBook = new Map<string, ReceiptState[]>();
  restored: (Credentials | undefined)[] = [];
  loggedOut = 0;
  readonly auth = {
    refresh: async () => "token",
    restore: (c: Credentials | undefined) => {
      this.restored.push(c);
      this.credentials = c;
    },
  };

  async connect() {
    return {} as never;
  }
  async conversations() {
    return this.list;
  }
  async conversation(id: string) {
    const c = this.byId.get(id);
    if (!c) throw new ParleyError("not_found", "no");
    return c;
  }
  async history() {
    return { messages: [], hasMore: false };
  }
  receipts(id: string) {
    return this.receiptBook.get(id) ?? [];
  }
  typingIn() {
    return [];
  }
  pendingSends() {
    return this.outbox;
  }
  send(conversationId: string, body: string, options: { clientId?: string; replyTo?: number } = {}) {
    this.sent.push({
      conversationId,
      body,
      clientId: options.clientId,
      ...(options.replyTo ? { replyTo: options.replyTo } : {}),
    });
    return new Promise<never>(() => {});
  }
  actions: unknown[][] = [];
  edit(...args: unknown[]) {
    this.actions.push(["edit", ...args]);
    return new Promise<never>(() => {});
  }
  react(...args: unknown[]) {
    this.actions.push(["react", ...args]);
    return new Promise<never>(() => {});
  }
  unreact(...args: unknown[]) {
    this.actions.push(["unreact", ...args]);
    return new Promise<never>(() => {});
  }
  deleteMessage(...args: unknown[]) {
    this.actions.push(["delete", ...args]);
    return new Promise<never>(() => {});
  }
  markRead(conversationId: string, seq?: number) {
    this.reads.push([conversationId, seq]);
  }
  setTyping() {}
  /** Every id list `getUsers` was asked for. */
  userLookups: string[][] = [];
  async getUsers(ids: readonly string[]) {
    this.userLookups.push([...ids]);
    return [ann, bob].filter((u) => ids.includes(u.id));
  }
  async subscribePresence() {
    return [];
  }
  async logout() {
    this.loggedOut++;
    this.credentials = undefined;
    this.emit("credentials", undefined);
  }
  reconnectNow() {}

  setState(state: ConnectionState) {
    this.state = state;
    this.emit("state", state);
  }
}

class FakeBrowser implements BrowserHooks {
  online = true;
  reloads = 0;
  readonly listeners = new Map<string, ((event: never) => void)[]>();
  isOnline() {
    return this.online;
  }
  addEventListener(type: string, listener: (event: never) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  fire(type: string, event?: unknown) {
    for (const l of this.listeners.get(type) ?? []) l(event as never);
  }
  reload() {
    this.reloads++;
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

async function setup(list: ConversationSummary[] = []) {
  const client = new FakeClient();
  client.credentials = creds();
  client.list = list;
  for (const c of list) client.byId.set(c.id, c);
  const storage = new MemoryStorage();
  const browser = new FakeBrowser();
  const dropped: string[] = [];
  const store = new ChatStore({
    client: client as unknown as ParleyClient,
    credentials: new CredentialStore(storage),
    browser,
    dropSockets: (reason) => dropped.push(reason),
  });
  store.start();
  client.setState("connected");
  await tick();
  return { client, store, storage, browser, dropped };
}

describe("ChatStore", () => {
  it("resumes a saved session and loads the conversation list once connected", async () => {
    const { store } = await setup([summary("C", { lastSeq: 3, unread: 2 })]);
    const s = store.getState();
    assert.equal(s.session, "signed-in");
    assert.equal(s.me?.id, "ann");
    assert.equal(s.listLoaded, true);
    assert.equal(s.conversations["C"]?.unread, 2);
    assert.equal(s.users["bob"]?.displayName, "Bob Stone", "members' names are fetched");
  });

  it("jumps to a search result: opens the conversation, fills the history back to it without a hole, focuses it", async () => {
    const { client, store } = await setup([summary("C", { lastSeq: 300 })]);
    const calls: { before?: number; limit?: number }[] = [];
    Object.assign(client, {
      history: async (_id: string, options: { before?: number; limit?: number } = {}) => {
        calls.push(options);
        const before = options.before ?? 301;
        const limit = options.limit ?? 50;
        const from = Math.max(1, before - limit);
        const messages = Array.from({ length: before - from }, (_, i) => text("C", from + i, "bob"));
        return { messages, hasMore: from > 1 };
      },
    });
    store.openSearch("C");
    assert.equal(store.getState().searchInFront, true);
    await store.jumpTo("C", 20);
    const s = store.getState();
    assert.equal(s.activeId, "C");
    assert.equal(s.searchInFront, false, "on a phone the chat comes to the front");
    assert.equal(s.searchOpen, true, "the results stay available");
    const seqs = s.conversations["C"]!.messages.map((m) => m.seq);
    assert.ok(seqs[0]! <= 20, `loaded back to ${seqs[0]}`);
    assert.deepEqual(
      seqs,
      Array.from({ length: 301 - seqs[0]! }, (_, i) => seqs[0]! + i),
      "no hole",
    );
    assert.ok(calls.length >= 2);
    const focus = s.focus;
    assert.deepEqual(focus && { conversationId: focus.conversationId, seq: focus.seq }, { conversationId: "C", seq: 20 });
    store.focusShown(focus!.token);
    assert.equal(store.getState().focus, null);
    store.closeSearch();
    assert.equal(store.getState().searchOpen, false);
  });

  it("counts new messages from others as unread, not own ones or ones the server already counted", async () => {
    const { client, store } = await setup([summary("C", { lastSeq: 3, unread: 1, members: [member("ann", 2), member("bob")] })]);
    client.emit("message", text("C", 3, "bob"));
    assert.equal(store.getState().conversations["C"]?.unread, 1, "seq 3 is in the server's count");
    client.emit("message", text("C", 4, "bob"));
    client.emit("message", text("C", 5, "ann"));
    const c = store.getState().conversations["C"]!;
    assert.equal(c.unread, 2);
    assert.equal(c.lastSeq, 5);
    assert.equal(c.lastMessage?.seq, 5);
    assert.deepEqual(
      c.messages.map((m) => m.seq),
      [3, 4, 5],
    );

    store.markRead("C");
    assert.deepEqual(client.reads, [["C", 5]]);
    assert.equal(store.getState().conversations["C"]?.unread, 0);
    store.markRead("C");
    assert.equal(client.reads.length, 1, "nothing new: no second report");
  });

  it("applies edits, deletes, reactions and hides to loaded messages, without counting them as unread", async () => {
    const { client, store } = await setup([summary("C", { lastSeq: 1 })]);
    client.emit("message", text("C", 2, "bob"));
    client.emit("message", { ...text("C", 3, "ann"), replyTo: { seq: 2, senderId: "bob", preview: "m2" } });
    const action: Message = { ...text("C", 4, "bob"), kind: "action", body: null, action: { type: "edit", target: 2 } };
    client.emit("message", action);
    client.emit("updated", { ...text("C", 2, "bob"), body: "edited", editedAt: 9 });
    let c = store.getState().conversations["C"]!;
    assert.deepEqual(
      c.messages.map((m) => [m.seq, m.body]),
      [
        [2, "edited"],
        [3, "m3"],
      ],
      "the action entry is not a message of its own",
    );
    assert.equal(c.messages[1]!.replyTo?.preview, "edited", "the reply's quote follows");
    assert.equal(c.lastSeq, 4);
    assert.equal(c.lastMessage?.seq, 3);
    assert.equal(c.unread, 1, "only bob's message counts");

    client.emit("updated", { ...text("C", 2, "bob"), body: null, deletedAt: 10 });
    c = store.getState().conversations["C"]!;
    assert.equal(c.messages[0]!.deletedAt, 10);
    assert.deepEqual(c.messages[1]!.replyTo, { seq: 2, senderId: "bob", preview: null, deleted: true });
    client.emit("hidden", { conversationId: "C", seq: 3 });
    assert.equal(store.getState().conversations["C"]!.messages[1]!.hidden, true);
  });

  it("sends replies and edits from the composer mode, and toggles reactions", async () => {
    const { client, store } = await setup([summary("C", { lastSeq: 1 })]);
    client.emit("message", { ...text("C", 2, "bob"), reactions: [{ emoji: "👍", count: 1, userIds: ["ann"] }] });
    store.compose("C", "reply", 2);
    store.send("C", "answer");
    assert.equal(client.sent.at(-1)?.replyTo, 2);
    assert.equal(store.getState().pending.at(-1)?.replyTo, 2);
    assert.equal(store.getState().composing["C"], undefined, "the reply bar closes");
    store.compose("C", "edit", 5);
    store.send("C", "new text");
    assert.deepEqual(client.actions.at(-1), ["edit", "C", 5, "new text"]);
    assert.equal(client.sent.length, 1, "an edit is not a new message");
    store.toggleReaction("C", 2, "👍");
    store.toggleReaction("C", 2, "🎉");
    assert.deepEqual(client.actions.slice(-2), [
      ["unreact", "C", 2, "👍"],
      ["react", "C", 2, "🎉"],
    ]);
    store.deleteMessage("C", 2, "me");
    assert.deepEqual(client.actions.at(-1), ["delete", "C", 2, { scope: "me" }]);
  });

  it("counts unread mentions of the user: the server's count, then new messages naming them, cleared on reading", async () => {
    const { client, store } = await setup([
      summary("C", { lastSeq: 3, unread: 1, mentions: 1, members: [member("ann", 2), member("bob")] }),
    ]);
    assert.equal(store.getState().conversations["C"]?.mentions, 1);
    client.emit("message", { ...text("C", 4, "bob"), body: "hey <@ann>" });
    client.emit("message", { ...text("C", 5, "bob"), body: "hey <@annie>" });
    client.emit("message", { ...text("C", 6, "ann"), body: "me <@ann>" });
    assert.equal(store.getState().conversations["C"]?.mentions, 2);
    store.markRead("C");
    assert.equal(store.getState().conversations["C"]?.mentions, 0);
  });

  it("clears the badge when another device of the user reads", async () => {
    const { client, store } = await setup([summary("C", { lastSeq: 4, unread: 3 })]);
    client.receiptBook.set("C", [{ userId: "ann", deliveredSeq: 4, readSeq: 4 }]);
    client.emit("receipts", { conversationId: "C", receipts: [{ userId: "ann", deliveredSeq: 4, readSeq: 4 }] });
    assert.equal(store.getState().conversations["C"]?.unread, 0);
    assert.equal(store.getState().conversations["C"]?.readSeq, 4);
  });

  it("fetches a conversation it did not know and keeps the messages that announced it", async () => {
    const { client, store } = await setup();
    client.byId.set("D", summary("D", { lastSeq: 1 }));
    client.emit("message", { ...text("D", 1, "bob"), kind: "system", body: null });
    client.emit("message", text("D", 2, "bob"));
    await tick();
    const d = store.getState().conversations["D"];
    assert.ok(d);
    assert.deepEqual(
      d.messages.map((m) => m.seq),
      [1, 2],
    );
    assert.equal(d.unread, 1);
  });

  it("shows a send as pending until its message arrives, and marks refused ones", async () => {
    const { client, store } = await setup([summary("C")]);
    store.send("C", "hello");
    store.send("C", "   ");
    assert.equal(client.sent.length, 1, "blank messages are not sent");
    const clientId = client.sent[0]!.clientId!;
    assert.deepEqual(
      store.getState().pending.map((p) => p.body),
      ["hello"],
    );
    client.emit("message", text("C", 2, "ann", clientId));
    assert.deepEqual(store.getState().pending, []);

    store.send("C", "too big");
    const refused = client.sent[1]!.clientId!;
    client.emit("send-failed", {
      entry: { clientId: refused, conversationId: "C", body: "too big", createdAt: 1 },
      error: new ParleyError("too_large", "The message is too large"),
    });
    // Told in the app's words for its code (i18n/errors.ts), not the server's text.
    assert.equal(store.getState().pending[0]?.error, "That is too large to send.");
    store.retry(refused);
    assert.equal(client.sent.length, 3);
    assert.equal(store.getState().pending.length, 1);
    assert.equal(store.getState().pending[0]?.error, undefined);
  });

  it("shows sends restored from the persisted outbox, unless already stored", async () => {
    const client = new FakeClient();
    client.credentials = creds();
    client.outbox = [{ clientId: "old", conversationId: "C", body: "from before the reload", createdAt: 5 }];
    const store = new ChatStore({
      client: client as unknown as ParleyClient,
      credentials: new CredentialStore(new MemoryStorage()),
    });
    store.start();
    client.setState("connecting");
    assert.deepEqual(
      store.getState().pending.map((p) => p.clientId),
      ["old"],
    );
    client.emit("ack", { id: "M", conversationId: "C", seq: 9, clientId: "old", createdAt: 6, duplicate: true });
    assert.deepEqual(store.getState().pending, []);
  });

  it("follows renames and the user's removal from a group", async () => {
    const { client, store } = await setup([summary("G", { kind: "group", title: "Team", lastSeq: 1 })]);
    client.emit("message", {
      ...text("G", 2, "bob"),
      kind: "system",
      body: null,
      event: { type: "conversation.renamed", actorId: "bob", title: "Crew" },
    });
    assert.equal(store.getState().conversations["G"]?.title, "Crew");
    client.emit("message", {
      ...text("G", 3, "bob"),
      kind: "system",
      body: null,
      event: { type: "member.removed", actorId: "bob", userId: "ann" },
    });
    assert.equal(store.getState().conversations["G"]?.membership, "left");
  });

  it("signs out with a notice when the session is lost", async () => {
    const { client, store } = await setup([summary("C")]);
    client.emit("auth-lost", new ParleyError("invalid_refresh_token", "gone"));
    const s = store.getState();
    assert.equal(s.session, "signed-out");
    assert.deepEqual(s.conversations, {});
    assert.match(s.notice ?? "", /session has ended/);
  });

  it("persists credentials and follows other tabs: rotated tokens, sign-out, another account", async () => {
    const { client, store, storage, browser } = await setup();
    client.emit("credentials", creds("S1", "r2"));
    assert.equal(JSON.parse(storage.getItem(SESSION_KEY)!).refreshToken, "r2");

    browser.fire("storage", { key: SESSION_KEY, newValue: JSON.stringify(creds("S1", "r3")) });
    assert.equal(client.restored.at(-1)?.refreshToken, "r3", "the other tab's rotation is adopted");

    browser.fire("storage", { key: SESSION_KEY, newValue: JSON.stringify(creds("S2", "x")) });
    assert.equal(browser.reloads, 1, "another account in another tab: start over");

    browser.fire("storage", { key: SESSION_KEY, newValue: null });
    await tick();
    assert.equal(client.loggedOut, 1);
    assert.equal(store.getState().session, "signed-out");
  });

  it("drops the sockets when the browser goes offline and reconnects when it is back", async () => {
    const { client, store, browser, dropped } = await setup();
    let reconnects = 0;
    client.reconnectNow = () => {
      reconnects++;
    };
    browser.fire("offline");
    assert.equal(store.getState().online, false);
    assert.equal(dropped.length, 1);
    browser.fire("online");
    assert.equal(store.getState().online, true);
    assert.equal(reconnects, 1);
  });
});

describe("security review #3: withheld quotes", () => {
  it("a reply whose quote is withheld shows it without looking up its empty sender", async () => {
    const { client, store } = await setup([summary("C", { lastSeq: 1 })]);
    client.emit("message", { ...text("C", 2, "bob"), replyTo: { seq: 1, senderId: "", preview: null, withheld: true } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(store.getState().conversations["C"]!.messages[0]!.replyTo, {
      seq: 1,
      senderId: "",
      preview: null,
      withheld: true,
    });
    assert.ok(
      client.userLookups.every((ids) => !ids.includes("")),
      "an empty id would fail the whole lookup (validation_failed)",
    );
  });
});
