// Typing indicators: forwarded to the other online members, throttled, and stopped by a timer when not refreshed.

import { AppError } from "../domain/app-error.js";
import type { BestEffort } from "../observability/best-effort.js";
import type { ConversationStore } from "../ports/store.js";
import type { BlockCache } from "./block-cache.js";
import type { ChannelKinds } from "./channel-kinds.js";
import { requireCurrentMember } from "./conversation-access.js";
import type { Delivery } from "./delivery.js";
import type { MemberCache } from "./member-cache.js";

interface Typing {
  connectionId: string;
  lastForwardAt: number;
  expiry: NodeJS.Timeout;
}

export class TypingService {
  private readonly active = new Map<string, Typing>();

  constructor(
    private readonly members: MemberCache,
    private readonly delivery: Delivery,
    private readonly blocks: Pick<BlockCache, "peers">,
    private readonly timeoutMs: number,
    private readonly failures: BestEffort,
    /** Repeated `typing: true` within this interval only extends the timer; nothing is forwarded. */
    private readonly throttleMs = Math.floor(timeoutMs / 2),
    /** Channels have no typing (docs/channels.md): absent, every conversation is treated as a direct chat or group. */
    private readonly channels?: { kinds: Pick<ChannelKinds, "isChannel">; store: Pick<ConversationStore, "getMembership"> },
  ) {}

  async set(userId: string, conversationId: string, typing: boolean, connectionId: string): Promise<void> {
    if (this.channels && (await this.channels.kinds.isChannel(conversationId))) {
      // The access rule first (outsiders learn nothing), then the refusal: 100,000 members typing is noise, not presence.
      requireCurrentMember(await this.channels.store.getMembership(conversationId, userId));
      throw new AppError("not_allowed", "There is no typing indicator in channels", { reason: "channel" });
    }
    await this.members.requireMember(conversationId, userId);
    const key = `${conversationId}\u0000${userId}`;
    const current = this.active.get(key);
    if (!typing) {
      if (current) await this.stop(key, conversationId, userId);
      return;
    }
    const now = Date.now();
    if (current) {
      current.expiry.refresh();
      current.connectionId = connectionId;
      if (now - current.lastForwardAt < this.throttleMs) return;
      current.lastForwardAt = now;
    } else {
      const expiry = setTimeout(
        () => this.failures.detach("typing.expire", this.stop(key, conversationId, userId)),
        this.timeoutMs,
      );
      expiry.unref();
      this.active.set(key, { connectionId, lastForwardAt: now, expiry });
    }
    await this.forward(conversationId, userId, true);
  }

  /** A connection closed: whatever it was typing stops now rather than after the timeout. */
  async connectionClosed(connectionId: string): Promise<void> {
    for (const [key, t] of this.active) {
      if (t.connectionId !== connectionId) continue;
      const [conversationId, userId] = key.split("\u0000") as [string, string];
      await this.stop(key, conversationId, userId);
    }
  }

  /** A message sent implies the sender stopped typing. */
  async messageSent(userId: string, conversationId: string): Promise<void> {
    const key = `${conversationId}\u0000${userId}`;
    if (this.active.has(key)) await this.stop(key, conversationId, userId);
  }

  close(): void {
    for (const t of this.active.values()) clearTimeout(t.expiry);
    this.active.clear();
  }

  private async stop(key: string, conversationId: string, userId: string): Promise<void> {
    const t = this.active.get(key);
    if (!t) return;
    clearTimeout(t.expiry);
    this.active.delete(key);
    await this.forward(conversationId, userId, false);
  }

  /** To the other members, except those a block stands between with the typer (either way, docs/protocol.md §11.1). */
  private async forward(conversationId: string, userId: string, typing: boolean): Promise<void> {
    const [members, blocked] = await Promise.all([this.members.get(conversationId), this.blocks.peers(userId)]);
    const recipients = members.filter((id) => id !== userId && !blocked.has(id));
    await this.delivery.toUsers(recipients, "typing", {
      conversationId,
      userId,
      typing,
      expiresInMs: typing ? this.timeoutMs : 0,
    });
  }
}
