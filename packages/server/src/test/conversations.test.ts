// Protocol tests for conversations: one direct per pair, groups with roles, limits and membership as sequenced events.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import {
  connectVia,
  http,
  type ProtocolClient,
  type ProtocolError,
  register,
  startTestServer,
  type TestServer,
  TRANSPORTS,
} from "./harness.js";

const code = (c: string) => (e: ProtocolError) => {
  assert.equal(e.error.code, c);
  return true;
};

for (const transport of TRANSPORTS)
  describe(`conversations over ${transport}`, () => {
    let server: TestServer;
    let owner: AuthResult;
    let admin: AuthResult;
    let member: AuthResult;
    let outsider: AuthResult;
    let o: ProtocolClient;
    let ad: ProtocolClient;
    let m: ProtocolClient;

    before(async () => {
      server = await startTestServer({ maxGroupMembers: 4 });
      [owner, admin, member, outsider] = await Promise.all([
        register(server),
        register(server),
        register(server),
        register(server),
      ]);
      [o, ad, m] = await Promise.all([
        connectVia(transport, server, owner.accessToken),
        connectVia(transport, server, admin.accessToken),
        connectVia(transport, server, member.accessToken),
      ]);
    });
    after(async () => {
      await Promise.all([o, ad, m].map((c) => c.close()));
      await server.close();
    });

    it("there is exactly one direct conversation per pair, whoever opens it", async () => {
      const first = await o.request("conversations.openDirect", { userId: admin.user.id });
      const second = await ad.request("conversations.openDirect", { userId: owner.user.id });
      assert.equal(first.id, second.id);
      assert.equal(first.kind, "direct");
      assert.deepEqual(first.members.map((x) => x.userId).sort(), [owner.user.id, admin.user.id].sort());
      await assert.rejects(o.request("conversations.openDirect", { userId: "nobody_here" }), code("not_found"));
      await assert.rejects(o.request("conversations.leave", { conversationId: first.id }), code("forbidden"));
    });

    it("groups: roles, add/remove by admins, rename, leave, with each change a sequenced event seen by members", async () => {
      const g = await o.request("conversations.createGroup", { title: "Team", memberIds: [admin.user.id, member.user.id] });
      assert.equal(g.lastSeq, 1);
      assert.deepEqual(Object.fromEntries(g.members.map((x) => [x.userId, x.role])), {
        [owner.user.id]: "owner",
        [admin.user.id]: "member",
        [member.user.id]: "member",
      });
      await assert.rejects(
        m.request("members.setRole", { conversationId: g.id, userId: admin.user.id, role: "admin" }),
        code("forbidden"),
      );
      const promoted = await o.request("members.setRole", { conversationId: g.id, userId: admin.user.id, role: "admin" });
      assert.equal(promoted.message.seq, 2);
      await assert.rejects(m.request("members.add", { conversationId: g.id, userIds: [outsider.user.id] }), code("forbidden"));
      const added = await ad.request("members.add", { conversationId: g.id, userIds: [outsider.user.id] });
      assert.equal(added.message.event?.type, "member.added");
      await assert.rejects(ad.request("members.add", { conversationId: g.id, userIds: [outsider.user.id] }), code("conflict"));
      const renamed = await ad.request("conversations.rename", { conversationId: g.id, title: "Team 2" });
      assert.equal(renamed.message.event?.type, "conversation.renamed");
      await assert.rejects(ad.request("members.remove", { conversationId: g.id, userId: owner.user.id }), code("forbidden"));
      const removed = await ad.request("members.remove", { conversationId: g.id, userId: outsider.user.id });
      assert.equal(removed.message.event?.type, "member.removed");
      const left = await m.request("conversations.leave", { conversationId: g.id });
      assert.equal(left.message.event?.type, "member.left");
      await assert.rejects(m.request("messages.send", { conversationId: g.id, clientId: "gone", body: "x" }), code("not_member"));
      // The remaining members saw every change, in order, as message events.
      await o.waitFor(() => (o.messages(g.id).length >= 6 ? true : undefined));
      assert.deepEqual(
        o.messages(g.id).map((x) => [x.seq, x.event?.type]),
        [
          [1, "conversation.created"],
          [2, "member.role"],
          [3, "member.added"],
          [4, "conversation.renamed"],
          [5, "member.removed"],
          [6, "member.left"],
        ],
      );
      const view = await o.request("conversations.get", { conversationId: g.id });
      assert.equal(view.title, "Team 2");
      assert.deepEqual(view.members.map((x) => x.userId).sort(), [owner.user.id, admin.user.id].sort());
      const leaverView = await m.request("conversations.get", { conversationId: g.id });
      assert.equal(leaverView.membership, "left");
      assert.equal(leaverView.lastSeq, 6);
    });

    it("enforces the group size limit", async () => {
      const extra = await register(server);
      await assert.rejects(
        o.request("conversations.createGroup", {
          title: "big",
          memberIds: [admin.user.id, member.user.id, outsider.user.id, extra.user.id],
        }),
        code("group_full"),
      );
      const g = await o.request("conversations.createGroup", {
        title: "full",
        memberIds: [admin.user.id, member.user.id, outsider.user.id],
      });
      await assert.rejects(o.request("members.add", { conversationId: g.id, userIds: [extra.user.id] }), code("group_full"));
    });

    it("lists my conversations, newest activity first, with last message and members' read state", async () => {
      const d = await o.request("conversations.openDirect", { userId: member.user.id });
      await m.request("messages.send", { conversationId: d.id, clientId: "list-1", body: "latest thing" });
      const { conversations } = await o.request("conversations.list", {});
      assert.equal(conversations[0]!.id, d.id);
      assert.equal(conversations[0]!.lastMessage?.body, "latest thing");
      assert.equal(conversations[0]!.unread, 1);
      assert.ok(conversations[0]!.members.every((x) => typeof x.readSeq === "number" && typeof x.deliveredSeq === "number"));
      const viaHttp = await http(server, "GET", "/v1/conversations", undefined, owner.accessToken);
      assert.equal(viaHttp.status, 200);
      assert.equal(viaHttp.body.conversations.length, conversations.length);
    });

    it("conversation operations work over HTTP with the same rules", async () => {
      const res = await http(
        server,
        "POST",
        "/v1/conversations/group",
        { title: "via http", memberIds: [member.user.id] },
        owner.accessToken,
      );
      assert.equal(res.status, 200);
      const id = res.body.id as string;
      const denied = await http(
        server,
        "POST",
        `/v1/conversations/${id}/members`,
        { userIds: [admin.user.id] },
        member.accessToken,
      );
      assert.equal(denied.status, 403);
      assert.equal(denied.body.error.code, "forbidden");
      const hidden = await http(server, "GET", `/v1/conversations/${id}`, undefined, outsider.accessToken);
      assert.equal(hidden.status, 404);
    });
  });
