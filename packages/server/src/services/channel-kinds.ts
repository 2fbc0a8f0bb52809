// Node-local knowledge of which conversations are channels, and their settings: a conversation's kind and a channel's
// settings never change, so an entry never goes stale and the hot paths (send, fan-out, receipts, typing, push) learn
// a conversation's kind without a store read per call (docs/channels.md).

import type { ChannelSettings } from "@parley/protocol";
import { setNewest } from "../domain/bounded-map.js";
import type { ConversationStore } from "../ports/store.js";

/** `null`: not a channel; `undefined`: no such conversation. */
export type ChannelLookup = ChannelSettings | null | undefined;

export class ChannelKinds {
  private readonly known = new Map<string, ChannelSettings | null>();

  constructor(
    private readonly store: Pick<ConversationStore, "getConversation">,
    private readonly capacity = 100_000,
  ) {}

  /** The channel's settings, null for a direct conversation or group, undefined for an unknown id (not remembered). */
  settingsOf(conversationId: string): ChannelLookup | Promise<ChannelLookup> {
    const hit = this.known.get(conversationId);
    if (hit !== undefined) return hit;
    return this.store.getConversation(conversationId).then((conversation) => {
      if (conversation === undefined) return undefined;
      this.remember(conversationId, conversation.channel);
      return conversation.channel;
    });
  }

  async isChannel(conversationId: string): Promise<boolean> {
    const settings = this.settingsOf(conversationId);
    return (settings instanceof Promise ? await settings : settings) != null;
  }

  remember(conversationId: string, channel: ChannelSettings | null): void {
    setNewest(this.known, conversationId, channel, this.capacity);
  }
}
