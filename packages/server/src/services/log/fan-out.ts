// Delivery of committed entries to the devices of the users who may see them, in commit order.

import type { Message } from "@parley/protocol";
import { audiencesOf } from "../../domain/membership-window.js";
import { type Delivery, encodeEvent } from "../delivery.js";
import type { MemberCache, Members } from "../member-cache.js";
import type { MessageView } from "../message-view.js";
import { type CommittedEntry, departedBy } from "./committed-entry.js";

export class FanOut {
  constructor(
    private readonly members: MemberCache,
    private readonly delivery: Delivery,
    private readonly view: MessageView,
  ) {}

  /** The log's subscriber (runs after the member cache forgot the conversations whose members changed). */
  readonly committed = async (entries: readonly CommittedEntry[]): Promise<void> => {
    // Action entries go out with their target's new state (reactions included); plain messages need nothing more.
    const shown = new Map<string, Message>();
    for (const { message } of entries) {
      if (message.action === undefined) continue;
      const [entry] = await this.view.present(message.conversationId, [message]);
      shown.set(message.id, entry!);
    }
    // Resolve member lists first so that publishing below happens in seq order without interleaved awaits.
    const lists = new Map<string, Members>();
    for (const { message } of entries) {
      const id = message.conversationId;
      if (!lists.has(id)) lists.set(id, await this.members.current(id));
    }
    const published: Promise<void>[] = [];
    for (const { message, origin } of entries) {
      const members = lists.get(message.conversationId)!;
      if (message.kind === "system") {
        this.announce(message, members.ids, published);
        continue;
      }
      // Members who joined after an action's target or a reply's quote get a frame without it (one per audience).
      for (const audience of audiencesOf(shown.get(message.id) ?? message, members.ids, members.joinedSeq)) {
        const frame = encodeEvent("message", audience.entry);
        published.push(this.delivery.framesToUsers(audience.userIds, frame, origin.connectionId, origin.receivedAt));
      }
    }
    await Promise.all(published);
  };

  /**
   * A system entry goes to everyone who was or now is a member: the removed see their removal, the added their
   * addition. Other nodes drop their member lists first (the bus keeps publish order), and who left no longer shares
   * the conversation with those who stay, so presence watches granted by it end.
   */
  private announce(message: Message, memberIds: readonly string[], published: Promise<void>[]): void {
    const departed = departedBy(message);
    const everyone = new Set([...memberIds, ...departed]);
    if (message.event?.type !== "conversation.created") published.push(this.delivery.membersChanged(message.conversationId));
    if (departed.length > 0) published.push(this.delivery.presenceNarrowed([...everyone]));
    published.push(this.delivery.toUsers(everyone, "message", message));
  }
}
