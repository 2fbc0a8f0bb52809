// Sends and message actions (checked here, written by the conversation log), history pages and the sync of missed entries.

import type {
  ActionResult,
  Attachment,
  Message,
  MessageAck,
  PinnedMessage,
  SyncConversation,
  SyncResult,
} from "@parley/protocol";
import { mentionedUserIds } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import { isSingleEmoji } from "../domain/emoji.js";
import type { BestEffort } from "../observability/best-effort.js";
import type { Metrics } from "../observability/metrics.js";
import type {
  ActionDraft,
  AppendOutcome,
  ConversationStore,
  MemberRecord,
  MessageDraft,
  MessageStore,
  MlsDraft,
} from "../ports/store.js";
import type { BlockCache } from "./block-cache.js";
import type { ChannelKinds, ChannelLookup } from "./channel-kinds.js";
import { noSuchConversation, requireCurrentMember, requireReader } from "./conversation-access.js";
import { notAllowed, toMember } from "./conversation-service.js";
import type { Delivery } from "./delivery.js";
import type { ConversationLog } from "./log/conversation-log.js";
import { actionDraft, type Origin, textDraft } from "./log/entry-drafts.js";
import type { MediaService } from "./media-service.js";
import type { MemberCache } from "./member-cache.js";
import { MessageView } from "./message-view.js";

export interface MessageLimits {
  maxMessageBytes: number;
  historyPageMax: number;
  syncPageMax: number;
  /** Most conversations one sync answer covers. */
  conversationPageMax: number;
  /** 0 = no limit. */
  editWindowMs: number;
  /** 0 = no limit. */
  deleteWindowMs: number;
  maxReactionsPerMessage: number;
  maxPinsPerConversation: number;
}

type Appended = Extract<AppendOutcome, { ok: true }>;

/** The most entries of one channel a sync answer carries: a member further behind gets the newest ones only. */
export const CHANNEL_SYNC_PAGE = 50;

/** Receipt changes older than this before `receiptsSince` are still reported: clocks of nodes drift a little. */
const RECEIPT_CLOCK_SLACK_MS = 5000;

export class MessageService {
  private readonly view: MessageView;

  constructor(
    private readonly store: ConversationStore & MessageStore,
    private readonly members: MemberCache,
    private readonly blocks: Pick<BlockCache, "blocks">,
    private readonly log: ConversationLog,
    private readonly delivery: Delivery,
    private readonly limits: MessageLimits,
    private readonly failures: BestEffort,
    private readonly metrics?: Metrics,
    private readonly media?: Pick<MediaService, "attachmentsFor">,
    private readonly kinds?: Pick<ChannelKinds, "settingsOf">,
  ) {
    this.view = new MessageView(store);
  }

  async send(
    userId: string,
    input: {
      conversationId: string;
      clientId: string;
      body: string;
      replyTo?: number;
      attachments?: string[];
      /** Encrypted conversations: the MLS application message (E2eeService checked the device). */
      mls?: MlsDraft | undefined;
    },
    origin: Origin = {},
  ): Promise<MessageAck> {
    if (input.mls !== undefined) return this.sendMls(userId, { ...input, mls: input.mls }, origin);
    const attachmentIds = input.attachments ?? [];
    this.checkBody(input.body, attachmentIds.length > 0);
    await this.checkPost(userId, input.conversationId, input.body);
    const attachments = attachmentIds.length > 0 && this.media ? await this.media.attachmentsFor(userId, attachmentIds) : [];
    return this.post(userId, input, attachments, origin, false);
  }

  /**
   * Copies a text message the caller can read into another conversation as the caller's own message, marked
   * `forwarded`: the body and the files (re-linked, not re-uploaded). The copy then takes the send path (body and
   * mention rules, blocks, membership of the target, idempotency by clientId); no quote is carried over.
   */
  async forward(
    userId: string,
    input: { conversationId: string; clientId: string; from: { conversationId: string; seq: number } },
    origin: Origin = {},
  ): Promise<MessageAck> {
    const { target, reader } = await this.visibleText(userId, input.from.conversationId, input.from.seq);
    if (target.mls !== undefined) {
      // The server holds only ciphertext: the client decrypts and sends the text itself.
      throw new AppError("encryption_required", "A message of an encrypted conversation is forwarded by its reader's client", {
        field: "from",
      });
    }
    const [source] = await this.view.present(input.from.conversationId, [target], reader);
    if (source!.deletedAt !== undefined) throw new AppError("message_deleted", "The message was deleted", { field: "from" });
    if (source!.body === null) {
      // Hidden by the caller ("delete for me") or withheld from a former member: nothing they may copy.
      throw new AppError("message_not_found", "No such message in this conversation", { field: "from" });
    }
    const copy = { conversationId: input.conversationId, clientId: input.clientId, body: source!.body };
    this.checkBody(copy.body, source!.attachments.length > 0);
    await this.checkPost(userId, copy.conversationId, copy.body);
    return this.post(userId, copy, source!.attachments, origin, true);
  }

  /** The one write of a text message (sends and forwards), checked by the caller. */
  private async post(
    userId: string,
    input: { conversationId: string; clientId: string; body: string; replyTo?: number },
    attachments: readonly Attachment[],
    origin: Origin,
    forwarded: boolean,
  ): Promise<MessageAck> {
    const outcome = await this.append(textDraft(userId, input, attachments, forwarded), origin);
    if (outcome.duplicate && outcome.message.kind !== "text") throw clientIdReused();
    return toAck(outcome);
  }

  /**
   * An MLS application message (docs/e2ee.md): no text or reply of its own (they are inside the ciphertext); its
   * `attachments` are opaque encrypted uploads, linked so that the members may download them (their keys are inside
   * the ciphertext). The store refuses it outside encrypted conversations.
   */
  private async sendMls(
    userId: string,
    input: { conversationId: string; clientId: string; body: string; replyTo?: number; attachments?: string[]; mls: MlsDraft },
    origin: Origin,
  ): Promise<MessageAck> {
    const field = input.body !== "" ? "body" : input.replyTo !== undefined ? "replyTo" : null;
    if (field !== null) {
      throw new AppError("validation_failed", "An MLS message carries its text and reply inside its ciphertext", { field });
    }
    await this.requireNotBlocked(userId, input.conversationId);
    const uploadIds = input.attachments ?? [];
    const uploads = uploadIds.length > 0 && this.media ? await this.media.attachmentsFor(userId, uploadIds) : [];
    const draft = textDraft(userId, { conversationId: input.conversationId, clientId: input.clientId, body: "" }, uploads);
    const outcome = await this.append({ ...draft, mls: input.mls }, origin);
    if (outcome.duplicate && outcome.message.kind !== "text") throw clientIdReused();
    return toAck(outcome);
  }

  /** Replaces the body of the caller's own text message (an `edit` entry; the message row is updated in place). */
  async edit(
    userId: string,
    input: { conversationId: string; seq: number; clientId: string; body: string },
    connectionId?: string,
  ): Promise<ActionResult> {
    this.checkBody(input.body);
    await this.checkMentions(userId, input.conversationId, input.body, await this.channelOf(input.conversationId));
    const notBefore = this.windowStart(this.limits.editWindowMs);
    return this.act(userId, input, { type: "edit", target: input.seq, body: input.body, notBefore }, connectionId);
  }

  /** Deletes a text message for everyone (a `delete` entry and a tombstone). */
  deleteForEveryone(
    userId: string,
    input: { conversationId: string; seq: number; clientId: string },
    connectionId?: string,
  ): Promise<ActionResult> {
    const notBefore = this.windowStart(this.limits.deleteWindowMs);
    return this.act(userId, input, { type: "delete", target: input.seq, notBefore }, connectionId);
  }

  /** Adds (or removes) the caller's reaction (a `reaction` entry). */
  async react(
    userId: string,
    input: { conversationId: string; seq: number; clientId: string; emoji: string; remove?: boolean },
    connectionId?: string,
  ): Promise<ActionResult> {
    if (!isSingleEmoji(input.emoji)) {
      throw new AppError("invalid_emoji", "A reaction must be a single emoji", { field: "emoji" });
    }
    if (!(await this.channelOf(input.conversationId))) await this.requireNotBlocked(userId, input.conversationId);
    const action: ActionDraft = {
      type: "reaction",
      target: input.seq,
      emoji: input.emoji,
      remove: input.remove === true,
      maxKinds: this.limits.maxReactionsPerMessage,
    };
    return this.act(userId, input, action, connectionId);
  }

  /**
   * Pins a text message to its conversation (a `pin` entry). Any current member may pin; the conversation holds at
   * most `maxPinsPerConversation` pins; pinning a pinned message makes its pin the newest. Blocks apply as to sends.
   */
  async pin(
    userId: string,
    input: { conversationId: string; seq: number; clientId: string },
    connectionId?: string,
  ): Promise<ActionResult> {
    await this.requireNotBlocked(userId, input.conversationId);
    const action: ActionDraft = { type: "pin", target: input.seq, maxPins: this.limits.maxPinsPerConversation };
    return this.act(userId, input, action, connectionId);
  }

  /** Removes a message's pin (an `unpin` entry; one that is not pinned stays unpinned). */
  unpin(
    userId: string,
    input: { conversationId: string; seq: number; clientId: string },
    connectionId?: string,
  ): Promise<ActionResult> {
    return this.act(userId, input, { type: "unpin", target: input.seq }, connectionId);
  }

  /**
   * The conversation's pins, newest first, limited to the caller's membership window: pinned messages from before they
   * joined are left out, and a former member sees only pins made before they left that are still there, their messages
   * shown as history shows them.
   */
  async pins(userId: string, input: { conversationId: string }): Promise<{ pins: PinnedMessage[] }> {
    const { minSeq, maxSeq, reader } = await this.window(userId, input.conversationId);
    const records = (await this.store.listPins(input.conversationId)).filter(
      (p) => p.seq >= minSeq && p.seq <= maxSeq && p.entrySeq <= maxSeq,
    );
    if (records.length === 0) return { pins: [] };
    const stored = await this.store.getMessagesBySeq(
      input.conversationId,
      records.map((p) => p.seq),
    );
    const shown = new Map((await this.view.present(input.conversationId, stored, reader)).map((m) => [m.seq, m]));
    const pins: PinnedMessage[] = [];
    for (const p of records) {
      const message = shown.get(p.seq);
      if (message !== undefined)
        pins.push({ seq: p.seq, pinnedBy: p.pinnedBy, pinnedAt: p.pinnedAt, entrySeq: p.entrySeq, message });
    }
    return { pins };
  }

  /**
   * "Delete for me": hides a message (text or tombstone) from every device of the caller only. Not an entry in the
   * sequence; the caller's other devices get a `message.hidden` event, and history and sync apply it from now on.
   */
  async deleteForMe(
    userId: string,
    input: { conversationId: string; seq: number },
    connectionId?: string,
  ): Promise<ActionResult> {
    const { target, reader } = await this.visibleText(userId, input.conversationId, input.seq);
    const fresh = await this.store.hideMessage(userId, input.conversationId, input.seq, Date.now());
    if (fresh) {
      await this.failures.attempt(
        "message.hidden",
        this.delivery.toUsers([userId], "message.hidden", { conversationId: input.conversationId, seq: input.seq }, connectionId),
      );
    }
    const [message] = await this.view.present(input.conversationId, [target], reader);
    return { ack: null, message: message! };
  }

  /**
   * A text message (live or a tombstone) within the caller's membership window, as stored: `message_not_found` when
   * there is none the caller may see, `invalid_target` for system and action entries.
   */
  async visibleText(userId: string, conversationId: string, seq: number): Promise<{ target: Message; reader: MemberRecord }> {
    const { minSeq, maxSeq, reader } = await this.window(userId, conversationId);
    const [target] = seq >= minSeq && seq <= maxSeq ? await this.store.getMessagesBySeq(conversationId, [seq]) : [];
    if (target === undefined) throw new AppError("message_not_found", "No such message in this conversation");
    if (target.kind !== "text") throw new AppError("invalid_target", "Only text messages can be deleted or reported");
    return { target, reader };
  }

  /**
   * A server administrator removes any text message for everyone (moderation): a `delete` entry with `by: "admin"`
   * written by the conversation log, whatever the administrator's membership. Idempotent per administrator and message.
   * Returns the action entry.
   */
  async removeByAdmin(adminId: string, input: { conversationId: string; seq: number }): Promise<Message> {
    const clientId = `admin-remove:${input.conversationId}:${input.seq}`;
    const action: ActionDraft = { type: "delete", target: input.seq, notBefore: null, by: "admin" };
    const outcome = await this.append(actionDraft(adminId, { conversationId: input.conversationId, clientId }, action), {});
    return outcome.message;
  }

  /** Size and blankness of a body; a message with attachments may have an empty one. */
  private checkBody(body: string, hasAttachments = false): void {
    if (Buffer.byteLength(body, "utf8") > this.limits.maxMessageBytes) {
      throw new AppError("too_large", `The message body exceeds ${this.limits.maxMessageBytes} bytes`, {
        field: "body",
        limit: this.limits.maxMessageBytes,
      });
    }
    if (body.trim() === "" && !hasAttachments) {
      throw new AppError("validation_failed", "The message body must not be blank", { field: "body" });
    }
  }

  /**
   * Every mention token (`<@userId>`) names a current member. Checked against the member cache, and only for a caller
   * who is a member: an outsider gets the access error from the store and learns nothing about who is in it.
   */
  private async checkMentions(userId: string, conversationId: string, body: string, channel: ChannelLookup): Promise<void> {
    const ids = mentionedUserIds(body);
    if (ids.length === 0) return;
    // A channel's member list is never loaded whole (docs/channels.md): only the people named are looked up.
    const members = channel
      ? (await this.store.currentMembersAmong(conversationId, [userId, ...ids])).map((m) => m.userId)
      : await this.members.get(conversationId);
    if (!members.includes(userId)) return;
    const stranger = ids.find((id) => !members.includes(id));
    if (stranger !== undefined) {
      throw new AppError("validation_failed", "A mention must name a current member of the conversation", {
        field: "body",
        userId: stranger,
      });
    }
  }

  /**
   * In a direct conversation neither member blocks the other (sends and reactions, either way: the blocker unblocks
   * first to write again; both may still edit or delete their own messages). The member list comes from the cache, so
   * only two-member conversations look the blocks up (cached as well: no store read per send), and the conversation's
   * kind is read only when a block exists.
   */
  private async requireNotBlocked(userId: string, conversationId: string): Promise<void> {
    const cached = this.members.get(conversationId);
    const members = cached instanceof Promise ? await cached : cached;
    if (members.length !== 2 || !members.includes(userId)) return;
    const other = members[0] === userId ? members[1]! : members[0]!;
    const blocked = this.blocks.blocks(other, userId);
    if (blocked instanceof Promise ? await blocked : blocked) {
      if ((await this.store.getConversation(conversationId))?.kind === "direct") throw notAllowed();
      return;
    }
    const blocking = this.blocks.blocks(userId, other);
    if (!(blocking instanceof Promise ? await blocking : blocking)) return;
    if ((await this.store.getConversation(conversationId))?.kind !== "direct") return;
    throw new AppError("not_allowed", "You block this user: unblock them to write to them again", { reason: "blocking" });
  }

  /**
   * What a new text message (a send or a forward) must pass besides its body: in a channel, who may post and the
   * mentions, looked up by name; elsewhere the mentions against the member list and the blocks of a direct chat.
   */
  private async checkPost(userId: string, conversationId: string, body: string): Promise<void> {
    const channel = await this.channelOf(conversationId);
    if (channel?.posting === "admins") await this.requireChannelAdmin(userId, conversationId);
    await this.checkMentions(userId, conversationId, body, channel);
    if (!channel) await this.requireNotBlocked(userId, conversationId);
  }

  /** The conversation's channel settings (null: not a channel; undefined: unknown, left to the store to refuse). */
  private async channelOf(conversationId: string): Promise<ChannelLookup> {
    if (this.kinds === undefined) return null;
    const settings = this.kinds.settingsOf(conversationId);
    return settings instanceof Promise ? await settings : settings;
  }

  /**
   * In a channel where only admins post, a current member who is not one is refused (`forbidden`, `details.reason`:
   * `posting`); anyone else is left to the store (outsiders and former members get the access errors).
   */
  private async requireChannelAdmin(userId: string, conversationId: string): Promise<void> {
    const membership = await this.store.getMembership(conversationId, userId);
    if (membership !== undefined && membership.leftSeq === null && membership.role === "member") {
      throw new AppError("forbidden", "Only the channel's admins post here", { reason: "posting" });
    }
  }

  /** Earliest creation time a target may have under a window (null: no limit). */
  private windowStart(windowMs: number): number | null {
    return windowMs === 0 ? null : Date.now() - windowMs;
  }

  private async act(
    userId: string,
    input: { conversationId: string; clientId: string },
    action: ActionDraft,
    connectionId: string | undefined,
  ): Promise<ActionResult> {
    const outcome = await this.append(actionDraft(userId, input, action), connectionId === undefined ? {} : { connectionId });
    const stored = outcome.message.action;
    if (stored === undefined || stored.type !== action.type || stored.target !== action.target) throw clientIdReused();
    const [[target], membership] = await Promise.all([
      this.store.getMessagesBySeq(input.conversationId, [action.target]),
      this.store.getMembership(input.conversationId, userId),
    ]);
    // The caller was a member when the action was stored, so the row exists; without it there is no window to apply.
    if (membership === undefined) throw new AppError("not_found", "Conversation not found");
    const [message] = await this.view.present(input.conversationId, [target!], membership);
    return { ack: toAck(outcome), message: message! };
  }

  /** Stores the draft through the conversation log; refusals become protocol errors. */
  private async append(draft: MessageDraft, origin: Origin): Promise<Appended> {
    const outcome = await this.log.submit(draft, origin);
    if (!outcome.ok) {
      if (outcome.code === "not_found") throw noSuchConversation();
      if (outcome.code === "not_member") {
        // The store refuses outsiders and former members alike; which of the two decides the answer (§6.1).
        requireCurrentMember(await this.store.getMembership(draft.conversationId, draft.senderId));
        throw new AppError("not_member", "You are not a member of this conversation");
      }
      throw new AppError(outcome.code, outcome.message, outcome.details ?? refusalDetails(outcome.code, draft, this.limits));
    }
    if (outcome.duplicate && outcome.message.conversationId !== draft.conversationId) {
      throw new AppError("conflict", "This clientId was already used for a message in another conversation", {
        field: "clientId",
      });
    }
    return outcome;
  }

  async history(
    userId: string,
    input: { conversationId: string; before?: number; after?: number; limit?: number },
  ): Promise<{ messages: Message[]; hasMore: boolean; expiredThrough?: number }> {
    const { minSeq, maxSeq, reader, expiredSeq } = await this.window(userId, input.conversationId);
    const limit = Math.min(input.limit ?? 50, this.limits.historyPageMax);
    const direction = input.after !== undefined && input.before === undefined ? "asc" : "desc";
    const query = { conversationId: input.conversationId, minSeq, maxSeq, limit: limit + 1, direction } as const;
    const rows = await this.store.getHistory({
      ...query,
      ...(input.after !== undefined ? { afterSeq: input.after } : {}),
      ...(input.before !== undefined ? { beforeSeq: input.before } : {}),
    });
    const hasMore = rows.length > limit;
    const page = hasMore ? (direction === "asc" ? rows.slice(0, limit) : rows.slice(rows.length - limit)) : rows;
    const messages = await this.view.present(input.conversationId, page, reader);
    return { messages, hasMore, ...(expiredSeq === 0 ? {} : { expiredThrough: expiredSeq }) };
  }

  /**
   * Everything the caller missed: per conversation, the entries after its cursor (from joinedSeq when the conversation
   * is not in `cursors`), in seq order, cut at `limit` entries in total; and the members' watermarks where they changed.
   * One answer covers one page of the caller's conversations in id order (after `after`, up to `through`, at most
   * conversationPageMax), so that neither the request (its cursors) nor the work and answer grow with how many
   * conversations the caller is in; `next` says where the following page starts.
   */
  async sync(
    userId: string,
    input: { cursors: Record<string, number>; receiptsSince?: number; limit?: number; after?: string; through?: string },
  ): Promise<SyncResult> {
    const serverTime = Date.now();
    if (input.after !== undefined && input.through !== undefined && input.through <= input.after) {
      throw new AppError("validation_failed", "through must come after after", { field: "through" });
    }
    const pageMax = this.limits.conversationPageMax;
    const range = {
      ...(input.after === undefined ? {} : { after: input.after }),
      ...(input.through === undefined ? {} : { through: input.through }),
    };
    const rows = await this.store.listMemberships(userId, { ...range, limit: pageMax + 1 });
    const memberships = rows.length > pageMax ? rows.slice(0, pageMax) : rows;
    let next: string | null = null;
    if (rows.length > pageMax) next = memberships[memberships.length - 1]!.conversation.id;
    else if (input.through !== undefined) {
      // The client's cursors stopped at `through`: whether anything follows is one more index probe.
      const beyond = await this.store.listMemberships(userId, { after: input.through, limit: 1 });
      if (beyond.length > 0) next = input.through;
    }
    let budget = Math.min(input.limit ?? this.limits.syncPageMax, this.limits.syncPageMax);
    const since = input.receiptsSince === undefined ? undefined : input.receiptsSince - RECEIPT_CLOCK_SLACK_MS;
    const result: SyncConversation[] = [];
    let hasMore = false;
    const hiddenBy = new Map<string, number[]>();
    for (const h of await this.store.listHiddenSince(userId, since)) {
      const seqs = hiddenBy.get(h.conversationId);
      if (seqs === undefined) hiddenBy.set(h.conversationId, [h.seq]);
      else seqs.push(h.seq);
    }
    // Where watermarks moved, for all conversations in one read: a reconnecting client of a user in many (large)
    // groups would otherwise read every member list just to find that nothing changed.
    const receiptsMovedIn =
      since === undefined
        ? undefined
        : await this.store.conversationsWithReceiptsAfter(
            memberships.map((m) => m.conversation.id),
            since,
          );
    for (const { membership, conversation } of memberships) {
      const maxSeq = membership.leftSeq ?? conversation.lastSeq;
      const known = Object.hasOwn(input.cursors, conversation.id);
      const clientCursor = known ? input.cursors[conversation.id]! : 0;
      // Entries at or below the retention watermark are gone: never missing, never a gap (§6.14).
      const cursor = Math.max(clientCursor, membership.joinedSeq - 1, conversation.expiredSeq);
      const missing = cursor < maxSeq;
      const receiptsMoved = receiptsMovedIn === undefined ? missing || !known : receiptsMovedIn.has(conversation.id);
      const hidden = hiddenBy.get(conversation.id);
      // The device may hold entries that expired since it last synced (without receiptsSince: at any time), or up to
      // its cursor when that is at or below the watermark.
      const expiredMoved =
        conversation.expiredSeq > 0 &&
        (since === undefined || conversation.expiredAt >= since || clientCursor <= conversation.expiredSeq);
      if (!missing && known && !receiptsMoved && hidden === undefined && !expiredMoved) continue;
      // A channel's members are paged by channels.members, never listed here: the caller's own row stands for them.
      let members = conversation.channel === null ? await this.store.getMembers(conversation.id) : [membership];
      let messages: Message[] = [];
      // A channel member more than a page behind (a new member of a "full" channel, a device back after long) gets the
      // newest page only: what lies between is skipped, not a gap, and paged backwards with history on demand.
      let from = cursor;
      let skippedThrough: number | undefined;
      const limit = conversation.channel === null ? budget : Math.min(budget, CHANNEL_SYNC_PAGE);
      if (conversation.channel !== null && missing && limit > 0 && maxSeq - cursor > limit) {
        from = maxSeq - limit;
        skippedThrough = from;
      }
      if (missing && limit > 0) {
        messages = await this.store.getHistory({
          conversationId: conversation.id,
          afterSeq: from,
          minSeq: membership.joinedSeq,
          maxSeq,
          limit,
          direction: "asc",
        });
        budget -= messages.length;
        messages = await this.view.present(conversation.id, messages, membership);
      }
      if (from + messages.length < maxSeq) hasMore = true;
      // A former member learns nothing about the group after leaving: not who is in it now, nor their receipts.
      if (membership.leftSeq !== null) members = [];
      const entry: SyncConversation = {
        conversationId: conversation.id,
        membership: membership.leftSeq === null ? "member" : "left",
        lastSeq: maxSeq,
        messages,
        members: members.map(toMember),
      };
      if (hidden !== undefined) entry.hidden = hidden;
      if (conversation.expiredSeq > 0) entry.expiredThrough = conversation.expiredSeq;
      if (skippedThrough !== undefined) entry.skippedThrough = skippedThrough;
      result.push(entry);
    }
    if (this.metrics) {
      this.metrics.syncConversations.observe(result.length);
      this.metrics.syncMessages.observe(result.reduce((n, c) => n + c.messages.length, 0));
    }
    return { conversations: result, hasMore, next, serverTime };
  }

  private async window(
    userId: string,
    conversationId: string,
  ): Promise<{ minSeq: number; maxSeq: number; reader: MemberRecord; expiredSeq: number }> {
    const membership = requireReader(await this.store.getMembership(conversationId, userId));
    const conversation = await this.store.getConversation(conversationId);
    const maxSeq = membership.leftSeq ?? conversation?.lastSeq ?? 0;
    return { minSeq: membership.joinedSeq, maxSeq, reader: membership, expiredSeq: conversation?.expiredSeq ?? 0 };
  }
}

function toAck(outcome: Appended): MessageAck {
  const m = outcome.message;
  const ack: MessageAck = {
    id: m.id,
    conversationId: m.conversationId,
    seq: m.seq,
    clientId: m.clientId!,
    createdAt: m.createdAt,
    duplicate: outcome.duplicate,
  };
  if (m.replyTo !== undefined) ack.replyTo = m.replyTo;
  return ack;
}

function clientIdReused(): AppError {
  return new AppError("conflict", "This clientId was already used for a different message or action", { field: "clientId" });
}

function refusalDetails(
  code: Exclude<AppendOutcome, { ok: true }>["code"],
  draft: MessageDraft,
  limits: MessageLimits,
): Record<string, unknown> | undefined {
  switch (code) {
    case "window_expired":
      return { windowMs: draft.action?.type === "edit" ? limits.editWindowMs : limits.deleteWindowMs };
    case "too_many_reactions":
      return { limit: limits.maxReactionsPerMessage };
    case "too_many_pins":
      return { limit: limits.maxPinsPerConversation };
    case "message_not_found":
    case "invalid_target":
    case "message_deleted":
      return { field: draft.action === undefined ? "replyTo" : "seq" };
    default:
      return undefined;
  }
}
