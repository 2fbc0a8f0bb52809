import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Member, Message } from "@parley/client";
import { activityAt, canRemove, conversationTitle, mergeMessages, previewAuthor, sortConversations } from "./conversations.js";
import type { ConversationState } from "./types.js";

function msg(seq: number, senderId = "bob", createdAt = seq * 1000): Message {
  return {
    id: `M${seq}`,
    conversationId: "C",
    seq,
    senderId,
    clientId: null,
    kind: "text",
    body: `m${seq}`,
    event: null,
    createdAt,
    attachments: [],
  };
}

function member(userId: string, role: Member["role"] = "member"): Member {
  return { userId, role, joinedSeq: 1, deliveredSeq: 0, readSeq: 0 };
}

function conv(partial: Partial<ConversationState> & { id: string }): ConversationState {
  return {
    kind: "group",
    title: "T",
    createdAt: 0,
    members: [],
    membership: "member",
    lastSeq: 0,
    lastMessage: null,
    unread: 0,
    mentions: 0,
    readSeq: 0,
    messages: [],
    loaded: false,
    hasOlder: false,
    loadingOlder: false,
    receipts: [],
    ...partial,
  };
}

const users = {
  ann: { id: "ann", username: "ann", displayName: "Ann Lee", createdAt: 0 },
  bob: { id: "bob", username: "bob", displayName: "Bob Stone", createdAt: 0 },
};

describe("mergeMessages", () => {
  it("appends newer entries and keeps each seq once", () => {
    const merged = mergeMessages([msg(1), msg(2)], [msg(3)]);
    assert.deepEqual(
      merged.map((m) => m.seq),
      [1, 2, 3],
    );
    assert.deepEqual(
      mergeMessages(merged, [msg(2), msg(3), msg(4)]).map((m) => m.seq),
      [1, 2, 3, 4],
    );
  });

  it("prepends an older page and sorts interleaved input", () => {
    assert.deepEqual(
      mergeMessages([msg(5), msg(6)], [msg(3), msg(4)]).map((m) => m.seq),
      [3, 4, 5, 6],
    );
    assert.deepEqual(
      mergeMessages([msg(2)], [msg(4), msg(1), msg(3)]).map((m) => m.seq),
      [1, 2, 3, 4],
    );
  });

  it("returns the same array when nothing is added", () => {
    const list = [msg(1)];
    assert.equal(mergeMessages(list, []), list);
  });
});

describe("conversationTitle", () => {
  it("uses the group title, or the other person's name in a direct chat", () => {
    assert.equal(conversationTitle(conv({ id: "C", title: "Team" }), "ann", users), "Team");
    const direct = conv({ id: "D", kind: "direct", title: null, members: [member("ann"), member("bob")] });
    assert.equal(conversationTitle(direct, "ann", users), "Bob Stone");
    assert.equal(conversationTitle(direct, "bob", users), "Ann Lee");
    assert.equal(conversationTitle(direct, "ann", {}), "Direct chat");
  });
});

describe("sortConversations", () => {
  it("orders by latest activity, counting pending sends and creation time", () => {
    const a = conv({ id: "a", createdAt: 100, lastMessage: msg(1, "bob", 5000) });
    const b = conv({ id: "b", createdAt: 7000 });
    const c = conv({ id: "c", createdAt: 100, lastMessage: msg(1, "bob", 1000) });
    assert.deepEqual(
      sortConversations([a, b, c]).map((x) => x.id),
      ["b", "a", "c"],
    );
    const pending = [{ clientId: "p", conversationId: "c", body: "x", createdAt: 9000 }];
    assert.equal(activityAt(c, pending), 9000);
    assert.deepEqual(
      sortConversations([a, b, c], pending).map((x) => x.id),
      ["c", "b", "a"],
    );
  });
});

describe("canRemove", () => {
  const group = conv({ id: "G", members: [member("own", "owner"), member("adm", "admin"), member("m1"), member("m2")] });
  it("lets admins remove members, and only the owner remove admins", () => {
    assert.equal(canRemove(group, "adm", "m1"), true);
    assert.equal(canRemove(group, "adm", "own"), false);
    assert.equal(canRemove(group, "own", "adm"), true);
    assert.equal(canRemove(group, "m1", "m2"), false);
    assert.equal(canRemove(group, "adm", "adm"), false);
    assert.equal(canRemove({ ...group, membership: "left" }, "own", "m1"), false);
  });
});

describe("previewAuthor", () => {
  it("says You for own messages and a first name in groups", () => {
    assert.equal(previewAuthor(msg(1, "ann"), { kind: "direct" }, "ann", users), "You");
    assert.equal(previewAuthor(msg(1, "bob"), { kind: "direct" }, "ann", users), null);
    assert.equal(previewAuthor(msg(1, "bob"), { kind: "group" }, "ann", users), "Bob");
  });
});
