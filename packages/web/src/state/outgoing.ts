// What the user sends: the composer's mode (reply, edit), sends shown as pending until the SDK outbox has them
// stored, edits, deletes and reactions, and the refusals the outbox reports.

import {
  type Attachment,
  hasReacted,
  isParleyError,
  type Message,
  newClientId,
  type OutboxEntry,
  type ParleyClient,
  type ParleyError,
} from "@parley/client";
import { errorText } from "../i18n/errors.js";
import type { StoreCore } from "./store-core.js";
import type { PendingMessage } from "./types.js";

export class Outgoing {
  readonly #core: StoreCore;
  readonly #client: ParleyClient;
  readonly #now: () => number;
  /** Refusals already shown by the `send-failed` handler, so a send's rejection does not show them twice. */
  readonly #shownRefusals = new WeakSet<object>();

  constructor(core: StoreCore, client: ParleyClient, now: () => number) {
    this.#core = core;
    this.#client = client;
    this.#now = now;
  }

  /**
   * Sends a message (a reply when the composer is replying), or saves the edit when it is editing. A send shows as
   * pending until stored; sends and edits survive reloads and offline periods (SDK outbox).
   */
  send(conversationId: string, body: string, attachments: Attachment[] = []): void {
    if (body.trim() === "" && attachments.length === 0) return;
    const compose = this.#core.state.composing[conversationId];
    this.cancelCompose(conversationId);
    if (compose?.mode === "edit") {
      if (body.trim() === "") return;
      // A refusal arrives as `send-failed` (shown as a notice); the new text arrives as an `updated` event.
      this.#settles(this.#client.edit(conversationId, compose.seq, body));
      return;
    }
    const clientId = newClientId();
    const pending: PendingMessage = {
      clientId,
      conversationId,
      body,
      createdAt: this.#now(),
      ...(attachments.length > 0 ? { attachments } : {}),
    };
    if (compose?.mode === "reply") pending.replyTo = compose.seq;
    this.#core.set((s) => ({ ...s, pending: [...s.pending, pending] }));
    // A refusal arrives as `send-failed` and marks the entry; the promise adds nothing.
    const options = compose?.mode === "reply" ? { clientId, attachments, replyTo: compose.seq } : { clientId, attachments };
    this.#settles(this.#client.send(conversationId, body, options));
  }

  /** The composer answers message `seq` (or, with "edit", changes it). */
  compose(conversationId: string, mode: "reply" | "edit", seq: number): void {
    this.#core.set((s) => ({ ...s, composing: { ...s.composing, [conversationId]: { mode, seq } } }));
  }

  cancelCompose(conversationId: string): void {
    this.#core.set((s) => {
      if (!s.composing[conversationId]) return s;
      const { [conversationId]: _, ...rest } = s.composing;
      return { ...s, composing: rest };
    });
  }

  /** Deletes for everyone (queued like a send) or only for this user (needs the server now). */
  deleteMessage(conversationId: string, seq: number, scope: "everyone" | "me"): void {
    if (this.#core.state.composing[conversationId]?.seq === seq) this.cancelCompose(conversationId);
    this.#client.deleteMessage(conversationId, seq, { scope }).catch((error: unknown) => {
      // Refusals of the queued delete arrive as `send-failed`.
      if (scope === "me") this.#core.notify(error);
    });
  }

  /** Adds the user's reaction, or takes it back when it is already there. */
  toggleReaction(conversationId: string, seq: number, emoji: string): void {
    const state = this.#core.state;
    const me = state.me?.id ?? "";
    const message = state.conversations[conversationId]?.messages.find((m) => m.seq === seq);
    const remove = message !== undefined && hasReacted(message, emoji, me);
    const sent = remove ? this.#client.unreact(conversationId, seq, emoji) : this.#client.react(conversationId, seq, emoji);
    this.#settles(sent);
  }

  /** Pins a message for every member, or removes its pin (both queued like sends). */
  setPinned(conversationId: string, seq: number, pinned: boolean): void {
    this.#settles(pinned ? this.#client.pin(conversationId, seq) : this.#client.unpin(conversationId, seq));
  }

  /** Forwards a text message to another conversation: pending there until stored, like a send. */
  forward(conversationId: string, message: Message): void {
    const clientId = newClientId();
    const pending: PendingMessage = {
      clientId,
      conversationId,
      body: message.body ?? "",
      createdAt: this.#now(),
      ...(message.attachments.length > 0 ? { attachments: message.attachments } : {}),
    };
    this.#core.set((s) => ({ ...s, pending: [...s.pending, pending] }));
    this.#settles(this.#client.forward(conversationId, message, { clientId }));
  }

  /** Sends a refused message again as a new message. */
  retry(clientId: string): void {
    const failed = this.#core.state.pending.find((p) => p.clientId === clientId);
    if (!failed) return;
    this.discard(clientId);
    this.send(failed.conversationId, failed.body, failed.attachments);
  }

  discard(clientId: string): void {
    this.#core.set((s) => ({ ...s, pending: s.pending.filter((p) => p.clientId !== clientId) }));
  }

  /** The outbox refused an entry for good: a send is marked failed, an action's refusal is shown. */
  onSendFailed(entry: OutboxEntry, error: ParleyError): void {
    this.#shownRefusals.add(error);
    if (entry.action) {
      this.#core.notify(error);
      return;
    }
    this.#core.set((s) => ({
      ...s,
      pending: s.pending.map((p) => (p.clientId === entry.clientId ? { ...p, error: errorText(error) } : p)),
    }));
  }

  /** These sends are stored (acked, or seen in the conversation): no longer pending. */
  dropPending(clientIds: readonly string[]): void {
    if (clientIds.length === 0) return;
    const gone = new Set(clientIds);
    this.#core.set((s) =>
      s.pending.some((p) => gone.has(p.clientId)) ? { ...s, pending: s.pending.filter((p) => !gone.has(p.clientId)) } : s,
    );
  }

  /** Shows sends restored from localStorage by the SDK outbox (written before a reload, not yet stored). */
  adoptOutbox(): void {
    const state = this.#core.state;
    const known = new Set(state.pending.map((p) => p.clientId));
    const shown = (conversationId: string, clientId: string) =>
      this.#core.state.conversations[conversationId]?.messages.some((m) => m.clientId === clientId) ?? false;
    // Queued edits, deletes and reactions are not bubbles of their own.
    const restored = this.#client
      .pendingSends()
      .filter((e) => !e.action && !known.has(e.clientId) && !shown(e.conversationId, e.clientId));
    if (restored.length === 0) return;
    this.#core.set((s) => ({
      ...s,
      pending: [...s.pending, ...restored.map((e) => ({ ...e }))].sort((a, b) => a.createdAt - b.createdAt),
    }));
  }

  /**
   * Lets a send or action settle on its own: a refusal arrives as `send-failed` (and is shown there), one still queued
   * when the client stops stays for the next start; anything else (the outbox store failed) is shown here.
   */
  #settles(sent: Promise<unknown>): void {
    sent.catch((error: unknown) => {
      if (!this.#shownRefusals.has(error as object) && !isParleyError(error, "stopped")) this.#core.notify(error);
    });
  }
}
