// This device's outbox entries on the wire and back: the operation each entry stands for, and the entry its ack stands
// for in the `message` stream (the server never echoes a send to the connection that sent it).

import type { Attachment, Message, MessageAck } from "@parley/protocol";
import type { OpCall } from "./calls.js";
import { ParleyError } from "./errors.js";
import type { OutboxEntry } from "./outbox.js";

export class OwnEntries {
  readonly #request: OpCall;
  /** The target's new state from an action's result, until its entry is delivered (by clientId). */
  readonly #actionResults = new Map<string, Message>();

  /** `request` calls over the live connection. */
  constructor(request: OpCall) {
    this.#request = request;
  }

  /** Sends one outbox entry with the operation it stands for. */
  async transmit(entry: OutboxEntry): Promise<MessageAck> {
    const { ack, updated } = await transmitEntry(this.#request, entry);
    if (updated) this.#actionResults.set(entry.clientId, updated);
    return ack;
  }

  /** The entry an ack stands for (none while nobody is signed in); an action's carries its target's new state. */
  fromAck(entry: OutboxEntry, ack: MessageAck, senderId: string | undefined, deviceId = ""): Message | undefined {
    const updated = this.#actionResults.get(entry.clientId);
    this.#actionResults.delete(entry.clientId);
    return senderId ? entryFromAck(entry, ack, senderId, updated, deviceId) : undefined;
  }

  clear(): void {
    this.#actionResults.clear();
  }
}

async function transmitEntry(request: OpCall, entry: OutboxEntry): Promise<{ ack: MessageAck; updated?: Message }> {
  const { conversationId, clientId } = entry;
  const a = entry.action;
  if (!a && entry.forwardOf) {
    return { ack: await request("messages.forward", { conversationId, clientId, from: entry.forwardOf }) };
  }
  if (!a) {
    // An encrypted send carries only its ciphertext: the text never leaves this device.
    const ack = await request("messages.send", {
      conversationId,
      clientId,
      body: entry.mls === undefined ? entry.body : "",
      ...(entry.mls === undefined ? {} : { mls: entry.mls }),
      ...(entry.replyTo === undefined ? {} : { replyTo: entry.replyTo }),
      ...(entry.attachments?.length ? { attachments: entry.attachments.map((a) => a.id) } : {}),
    });
    return { ack };
  }
  const result =
    a.type === "edit"
      ? await request("messages.edit", { conversationId, seq: a.seq, clientId, body: entry.body })
      : a.type === "delete"
        ? await request("messages.delete", { conversationId, seq: a.seq, clientId, scope: "everyone" })
        : a.type === "reaction"
          ? await request("messages.react", { conversationId, seq: a.seq, clientId, emoji: a.emoji, remove: a.remove })
          : await request(a.type === "pin" ? "messages.pin" : "messages.unpin", { conversationId, seq: a.seq, clientId });
  if (!result.ack) throw new ParleyError("bad_response", "The server answered an action without its entry");
  return { ack: result.ack, updated: result.message };
}

/** The entry an ack stands for, built from what this device sent. */
function entryFromAck(
  entry: OutboxEntry,
  ack: MessageAck,
  senderId: string,
  updated: Message | undefined,
  deviceId: string,
): Message {
  const base = {
    id: ack.id,
    conversationId: ack.conversationId,
    seq: ack.seq,
    senderId,
    clientId: ack.clientId,
    event: null,
    createdAt: ack.createdAt,
    attachments: [] as Attachment[],
  };
  if (entry.action) {
    const a = entry.action;
    const message: Message = {
      ...base,
      kind: "action",
      body: null,
      action:
        a.type === "reaction"
          ? { type: "reaction", target: a.seq, emoji: a.emoji, remove: a.remove }
          : { type: a.type, target: a.seq },
    };
    if (updated) message.updated = updated;
    return message;
  }
  if (entry.mls) {
    // An encrypted entry as the server stored it: the decryptor shows it from what this device kept when sending.
    return { ...base, kind: "text", body: "", attachments: entry.attachments ?? [], mls: { ...entry.mls, deviceId } };
  }
  const message: Message = { ...base, kind: "text", body: entry.body, attachments: entry.attachments ?? [] };
  if (ack.replyTo) message.replyTo = ack.replyTo;
  if (entry.forwardOf) message.forwarded = true;
  return message;
}
