import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "@parley/client";
import type { ChatState, ConversationState } from "../state/types.js";
import { CACHED_MESSAGES, snapshotOf } from "./conversation-cache.js";

const message = (seq: number) => ({ seq, conversationId: "C1", senderId: "U2", kind: "text", body: `m${seq}` }) as Message;

function state(messages: Message[]): ChatState {
  const conversation = {
    id: "C1",
    messages,
    loaded: true,
    loadingOlder: true,
    hasOlder: false,
  } as unknown as ConversationState;
  return {
    session: "signed-in",
    me: { id: "U1", username: "ann", displayName: "Ann" },
    conversations: { C1: conversation },
    users: { U1: { id: "U1", username: "ann", displayName: "Ann" } },
  } as unknown as ChatState;
}

describe("snapshotOf (the offline cache's copy of the state)", () => {
  it("keeps the newest messages of each conversation, marked as not loaded from the server", () => {
    const all = Array.from({ length: CACHED_MESSAGES + 20 }, (_, i) => message(i + 1));
    const snapshot = snapshotOf(state(all), 42)!;
    assert.equal(snapshot.userId, "U1");
    assert.equal(snapshot.savedAt, 42);
    const [c] = snapshot.conversations;
    assert.equal(c!.messages.length, CACHED_MESSAGES);
    assert.equal(c!.messages[0]!.seq, 21);
    assert.deepEqual([c!.loaded, c!.loadingOlder, c!.hasOlder], [false, false, true]);
    assert.deepEqual(
      snapshot.users.map((u) => u.id),
      ["U1"],
    );
  });

  it("keeps nothing while signed out", () => {
    assert.equal(snapshotOf({ ...state([]), session: "signed-out", me: null }, 1), null);
  });
});
