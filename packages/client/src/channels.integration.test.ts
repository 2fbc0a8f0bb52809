// Integration: channels through the SDK against a real server (protocol §6.17): creating, finding and joining one,
// paging its members, bulk membership, read counts and notification levels, and live messages on the channel's topic.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import { waitUntil } from "./testing/client-events.js";
import { SdkTestServer, signUp } from "./testing/real-server.js";

describe("SDK channels", () => {
  let server: SdkTestServer;
  const suffix = `${process.pid % 10_000}`;

  before(async () => {
    server = await SdkTestServer.start({ label: "channels" });
  });
  after(async () => {
    await server.close();
  });

  it("creates, lists, joins and pages a channel, and delivers its messages live", async () => {
    const [alice, bob, carol] = [server.client(), server.client(), server.client()];
    const [, bobUser, carolUser] = await signUp([alice, `cha_${suffix}`], [bob, `chb_${suffix}`], [carol, `chc_${suffix}`]);
    const title = `SDK news ${suffix}`;
    const channel = await alice.createChannel({ title, visibility: "public", posting: "everyone" });
    assert.equal(channel.kind, "channel");
    assert.equal(channel.memberCount, 1);

    const page = await bob.channelDirectory({ query: title.toLowerCase() });
    assert.deepEqual(
      page.channels.map((c) => c.id),
      [channel.id],
    );
    const joined = await bob.joinChannel(channel.id);
    assert.equal(joined.memberCount, 2);

    const seen: Message[] = [];
    bob.on("message", (m) => {
      if (m.conversationId === channel.id) seen.push(m);
    });
    const ack = await alice.send(channel.id, "hello channel");
    await waitUntil("bob receives the message", () => seen.some((m) => m.body === "hello channel"));

    const added = await alice.addChannelMembers(channel.id, [carolUser.id]);
    assert.deepEqual(added.event, { type: "member.added", actorId: alice.user!.id, userIds: [carolUser.id] });
    const members = await carol.channelMembers(channel.id, { limit: 10 });
    assert.deepEqual(members.members.map((m) => m.user.id).sort(), [alice.user!.id, bobUser.id, carolUser.id].sort());
    assert.equal(members.members[0]!.role, "admin");

    bob.markRead(channel.id, ack.seq);
    let count = 0;
    for (let i = 0; i < 50 && count < 1; i++) {
      count = await alice.channelReadCount(channel.id, ack.seq);
      if (count < 1) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(count, 1, "bob's read position is counted");
    await bob.setChannelNotifications(channel.id, "all");

    const removed = await alice.removeChannelMembers(channel.id, [bobUser.id, carolUser.id]);
    assert.deepEqual(removed.event, {
      type: "members.removed",
      actorId: alice.user!.id,
      userIds: [bobUser.id, carolUser.id],
    });
    assert.equal((await alice.conversation(channel.id)).memberCount, 1);
  });

  it("makes, lists and revokes invitation links of a private channel; a link joins once per use", async () => {
    const [alice, bob, carol] = [server.client(), server.client(), server.client()];
    await signUp([alice, `cia_${suffix}`], [bob, `cib_${suffix}`], [carol, `cic_${suffix}`]);
    const channel = await alice.createChannel({ title: `SDK private ${suffix}`, visibility: "private" });
    const invite = await alice.createChannelInvite(channel.id, { maxUses: 1, note: "for bob" });
    assert.equal(invite.conversationId, channel.id);
    assert.ok(invite.token);
    assert.deepEqual(
      (await alice.channelInvites(channel.id)).map((i) => [i.id, i.token]),
      [[invite.id, undefined]],
    );
    const joined = await bob.joinChannelByInvite(invite.token);
    assert.equal(joined.id, channel.id);
    assert.equal(joined.memberCount, 2);
    assert.deepEqual(await alice.channelInvites(channel.id), [], "a used-up link is no longer listed");
    await assert.rejects(carol.joinChannelByInvite(invite.token), (e: { code?: string; details?: { reason?: string } }) => {
      assert.equal(e.code, "invalid_invite");
      assert.equal(e.details?.reason, "used_up");
      return true;
    });
    const open = await alice.createChannelInvite(channel.id);
    const revoked = await alice.revokeChannelInvite(channel.id, open.id);
    assert.ok(revoked.revokedAt);
    await assert.rejects(carol.joinChannelByInvite(open.token!), { code: "invalid_invite" });
    await assert.rejects(bob.createChannelInvite(channel.id), { code: "forbidden" });
    assert.equal((await alice.conversation(channel.id)).memberCount, 2);
  });
});
