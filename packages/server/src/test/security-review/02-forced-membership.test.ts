// Security review #2: anyone could add anyone to unlimited groups, and enough of them broke the victim's client (its
// sync request outgrew the frame limit: 1009, reconnect, forever). Consent (a group-add setting and a block list),
// per-user limits, and sync and listing that page by conversation.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, Message, SyncResult } from "@parley/protocol";
import { connectVia, http, type ProtocolClient, register, startTestServer, type TestServer, TRANSPORTS } from "../harness.js";

const group = (server: TestServer, by: AuthResult, memberIds: string[], title = "Forced") =>
  http(server, "POST", "/v1/conversations/group", { title, memberIds }, by.accessToken);

async function listAll(server: TestServer, who: AuthResult, limit?: number) {
  const pages: { conversations: { id: string }[]; next: string | null }[] = [];
  let after: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const query = new URLSearchParams({ ...(after ? { after } : {}), ...(limit ? { limit: String(limit) } : {}) });
    const res = await http(server, "GET", `/v1/conversations?${query}`, undefined, who.accessToken);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    pages.push(res.body);
    if (res.body.next === null) break;
    after = res.body.next;
  }
  return pages;
}

describe("security review #02: consent to being added", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it("a user who allows nobody cannot be put in a group, by creation or by members.add; nothing is created", async () => {
    const [victim, stranger, friend] = await Promise.all([register(server), register(server), register(server)]);
    const set = await http(server, "PATCH", "/v1/settings", { groupAdds: "nobody" }, victim.accessToken);
    assert.equal(set.status, 200);
    assert.equal(set.body.groupAdds, "nobody");
    assert.equal((await http(server, "GET", "/v1/settings", undefined, victim.accessToken)).body.groupAdds, "nobody");

    const refused = await group(server, stranger, [victim.user.id, friend.user.id]);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, "not_allowed");
    const own = await group(server, stranger, [friend.user.id]);
    assert.equal(own.status, 200);
    const add = await http(
      server,
      "POST",
      `/v1/conversations/${own.body.id}/members`,
      { userIds: [victim.user.id] },
      stranger.accessToken,
    );
    assert.equal(add.status, 403);
    assert.equal(add.body.error.code, "not_allowed");
    // Not even the friend (in the refused request) got a group: the whole creation was refused.
    assert.equal((await listAll(server, victim))[0]!.conversations.length, 0);
    assert.equal((await listAll(server, friend))[0]!.conversations.length, 1);
  });

  it("'contacts' admits only users in the victim's own contacts; 'everyone' is the documented default", async () => {
    const [victim, stranger, known] = await Promise.all([register(server), register(server), register(server)]);
    assert.equal((await http(server, "GET", "/v1/settings", undefined, victim.accessToken)).body.groupAdds, "everyone");
    await http(server, "PATCH", "/v1/settings", { groupAdds: "contacts" }, victim.accessToken);
    await http(server, "PUT", `/v1/contacts/${known.user.id}`, undefined, victim.accessToken);
    assert.equal((await group(server, stranger, [victim.user.id])).body.error.code, "not_allowed");
    assert.equal((await group(server, known, [victim.user.id])).status, 200);
    // The stranger adding the victim as *their* contact changes nothing: the victim's list decides.
    await http(server, "PUT", `/v1/contacts/${victim.user.id}`, undefined, stranger.accessToken);
    assert.equal((await group(server, stranger, [victim.user.id])).body.error.code, "not_allowed");
  });

  it("an operator can make 'contacts' the default for everyone who has not chosen", async () => {
    const strict = await startTestServer({ groupAddsDefault: "contacts" });
    try {
      const [victim, stranger] = await Promise.all([register(strict), register(strict)]);
      assert.equal((await http(strict, "GET", "/v1/settings", undefined, victim.accessToken)).body.groupAdds, "contacts");
      assert.equal((await group(strict, stranger, [victim.user.id])).body.error.code, "not_allowed");
      await http(strict, "PATCH", "/v1/settings", { groupAdds: "everyone" }, victim.accessToken);
      assert.equal((await group(strict, stranger, [victim.user.id])).status, 200);
    } finally {
      await strict.close();
    }
  });

  it("a blocked user cannot add me, open a direct chat with me, nor write or react in our existing one", async () => {
    const [victim, pest] = await Promise.all([register(server), register(server)]);
    const direct = await http(server, "POST", "/v1/conversations/direct", { userId: victim.user.id }, pest.accessToken);
    assert.equal(direct.status, 200);
    const cid = direct.body.id;
    const hello = await http(
      server,
      "POST",
      `/v1/conversations/${cid}/messages`,
      { clientId: "b-1", body: "hi" },
      pest.accessToken,
    );
    assert.equal(hello.status, 200);

    const blocked = await http(server, "PUT", `/v1/blocks/${pest.user.id}`, undefined, victim.accessToken);
    assert.equal(blocked.status, 200);
    assert.deepEqual(
      blocked.body.blocked.map((u: { id: string }) => u.id),
      [pest.user.id],
    );
    assert.deepEqual((await http(server, "GET", "/v1/blocks", undefined, victim.accessToken)).body.blocked.length, 1);

    // Same code and message as a refusal by setting: the pest cannot tell a block from a privacy choice.
    const refusals = [
      await group(server, pest, [victim.user.id]),
      await http(server, "POST", "/v1/conversations/direct", { userId: victim.user.id }, pest.accessToken),
      await http(server, "POST", `/v1/conversations/${cid}/messages`, { clientId: "b-2", body: "again" }, pest.accessToken),
      await http(
        server,
        "POST",
        `/v1/conversations/${cid}/messages/${hello.body.seq}/reactions`,
        { clientId: "b-3", emoji: "👍" },
        pest.accessToken,
      ),
    ];
    for (const r of refusals) {
      assert.equal(r.status, 403, JSON.stringify(r.body));
      assert.equal(r.body.error.code, "not_allowed");
      assert.equal(r.body.error.message, "A user does not accept this from you");
    }
    // Nothing was stored: the victim's direct chat ends at the pest's first message.
    const history = await http(server, "GET", `/v1/conversations/${cid}/messages`, undefined, victim.accessToken);
    assert.equal(history.body.messages.at(-1).seq, hello.body.seq);
    // No direct messages either way while the block stands: the victim is told why (they can unblock), and
    // unblocking restores both sides' right to write.
    const own = await http(
      server,
      "POST",
      `/v1/conversations/${cid}/messages`,
      { clientId: "v-1", body: "stop" },
      victim.accessToken,
    );
    assert.equal(own.status, 403, JSON.stringify(own.body));
    assert.equal(own.body.error.code, "not_allowed");
    assert.equal(own.body.error.details?.reason, "blocking");
    const unblocked = await http(server, "DELETE", `/v1/blocks/${pest.user.id}`, undefined, victim.accessToken);
    assert.deepEqual(unblocked.body.blocked, []);
    for (const [who, clientId] of [
      [victim, "v-2"],
      [pest, "b-4"],
    ] as const) {
      const sent = await http(server, "POST", `/v1/conversations/${cid}/messages`, { clientId, body: "again" }, who.accessToken);
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
    }
    const self = await http(server, "PUT", `/v1/blocks/${victim.user.id}`, undefined, victim.accessToken);
    assert.equal(self.body.error.code, "validation_failed");
  });
});

describe("security review #02: per-user limits", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ maxConversationsPerUser: 3, maxGroupsPerDay: 4 });
  });
  after(async () => {
    await server.close();
  });

  it("nobody can be put in more than maxConversationsPerUser conversations", async () => {
    const [victim, a, b] = await Promise.all([register(server), register(server), register(server)]);
    assert.equal((await group(server, a, [victim.user.id])).status, 200);
    assert.equal((await group(server, a, [victim.user.id])).status, 200);
    assert.equal((await group(server, b, [victim.user.id])).status, 200);
    const fourth = await group(server, b, [victim.user.id]);
    assert.equal(fourth.status, 409);
    assert.equal(fourth.body.error.code, "conversation_limit");
    assert.equal(fourth.body.error.details.userId, victim.user.id);
    assert.equal(fourth.body.error.details.limit, 3);
    const direct = await http(server, "POST", "/v1/conversations/direct", { userId: victim.user.id }, b.accessToken);
    assert.equal(direct.body.error.code, "conversation_limit");
    const own = await group(server, b, []);
    const add = await http(
      server,
      "POST",
      `/v1/conversations/${own.body.id}/members`,
      { userIds: [victim.user.id] },
      b.accessToken,
    );
    assert.equal(add.body.error.code, "conversation_limit");
    // Leaving makes room again.
    const { conversations } = (await listAll(server, victim))[0]!;
    await http(server, "POST", `/v1/conversations/${conversations[0]!.id}/leave`, undefined, victim.accessToken);
    assert.equal((await group(server, b, [victim.user.id])).status, 200);
  });

  it("nobody creates more than maxGroupsPerDay groups in 24 hours", async () => {
    const spammer = await register(server);
    for (let i = 0; i < 3; i++) assert.equal((await group(server, spammer, [])).status, 200);
    // The cap on memberships counts the spammer too (3): their fourth creation hits the day limit only when there is
    // room, so give them room by leaving one.
    const { conversations } = (await listAll(server, spammer))[0]!;
    await http(server, "POST", `/v1/conversations/${conversations[0]!.id}/leave`, undefined, spammer.accessToken);
    assert.equal((await group(server, spammer, [])).status, 200);
    const fifth = await group(server, spammer, []);
    assert.equal(fifth.status, 429);
    assert.equal(fifth.body.error.code, "rate_limited");
    assert.equal(fifth.body.error.details.limit, "groups_per_day");
    assert.ok(fifth.body.error.retryAfterMs > 86_000_000 && fifth.body.error.retryAfterMs <= 86_400_000);
  });
});

const FRAME_LIMIT = 1024;
const PAGE = 10;

/**
 * The documented sync loop (protocol §9.3): page by page in conversation id order, sending only the cursors of the
 * page. Returns every conversation and message seen, and the size of every request frame.
 */
async function pagedSync(client: ProtocolClient, known: Record<string, number>) {
  const cursors = { ...known };
  const seen = new Map<string, Message[]>();
  const frames: number[] = [];
  const answers: SyncResult[] = [];
  let after: string | undefined;
  for (let i = 0; i < 1000; i++) {
    const ids = Object.keys(cursors)
      .filter((id) => after === undefined || id > after)
      .sort();
    const chunk = ids.slice(0, PAGE);
    const args = {
      cursors: Object.fromEntries(chunk.map((id) => [id, cursors[id]!])),
      ...(after ? { after } : {}),
      ...(ids.length > chunk.length ? { through: chunk.at(-1)! } : {}),
    };
    frames.push(Buffer.byteLength(JSON.stringify({ rid: String(i), op: "sync", args })));
    const page = await client.request("sync", args);
    answers.push(page);
    for (const c of page.conversations) {
      seen.set(c.conversationId, [...(seen.get(c.conversationId) ?? []), ...c.messages]);
      const last = c.messages.at(-1);
      if (last) cursors[c.conversationId] = last.seq;
      else if (!page.hasMore) cursors[c.conversationId] = Math.max(cursors[c.conversationId] ?? 0, c.lastSeq);
    }
    if (page.hasMore) continue;
    if (page.next === null) break;
    after = page.next;
  }
  return { seen, frames, answers, cursors };
}

for (const transport of TRANSPORTS)
  describe(`security review #02: a member of more conversations than fit in one frame syncs completely over ${transport}`, () => {
    const GROUPS = 60;
    let server: TestServer;
    let victim: AuthResult;
    let attacker: AuthResult;
    const groups: string[] = [];

    before(async () => {
      server = await startTestServer({ maxFrameBytes: FRAME_LIMIT, conversationPageMax: PAGE, syncPageMax: 25 });
      [victim, attacker] = await Promise.all([register(server), register(server)]);
      for (let i = 0; i < GROUPS; i++) {
        const res = await group(server, attacker, [victim.user.id], `g${i}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        groups.push(res.body.id);
      }
      // Every sixth group gets a few more messages, so some pages are also cut by the message budget.
      for (let i = 0; i < GROUPS; i += 6)
        for (let n = 0; n < 4; n++)
          await http(
            server,
            "POST",
            `/v1/conversations/${groups[i]}/messages`,
            { clientId: `m-${i}-${n}`, body: `m${n}` },
            attacker.accessToken,
          );
    });
    after(async () => {
      await server.close();
    });

    it("conversations.list pages by id: every page bounded, together exactly every conversation", async () => {
      const pages = await listAll(server, victim);
      assert.ok(pages.length >= GROUPS / PAGE);
      for (const p of pages) assert.ok(p.conversations.length <= PAGE);
      const ids = pages.flatMap((p) => p.conversations.map((c) => c.id));
      assert.deepEqual([...ids].sort(), [...groups].sort());
      const small = await listAll(server, victim, 7);
      assert.ok(small.every((p) => p.conversations.length <= 7));
      assert.equal(small.flatMap((p) => p.conversations).length, GROUPS);
    });

    it("a client that does not page gets a bounded first page, not an unbounded answer", async () => {
      const client = await connectVia(transport, server, victim.accessToken);
      try {
        const first = await client.request("sync", { cursors: {} });
        assert.ok(first.conversations.length <= PAGE, `${first.conversations.length} conversations in one answer`);
        assert.equal(first.next, first.conversations.at(-1)!.conversationId);
        const list = await client.request("conversations.list", {});
        assert.equal(list.conversations.length, PAGE);
        assert.notEqual(list.next, null);
      } finally {
        await client.close();
      }
    });

    it("a fresh device and a device holding cursors for every conversation both sync everything, no frame over the limit", async () => {
      const client = await connectVia(transport, server, victim.accessToken);
      try {
        const fresh = await pagedSync(client, {});
        assert.equal(fresh.seen.size, GROUPS);
        for (const id of groups) {
          const seqs = fresh.seen.get(id)!.map((m) => m.seq);
          const expected = Array.from({ length: groups.indexOf(id) % 6 === 0 ? 5 : 1 }, (_, k) => k + 1);
          assert.deepEqual(seqs, expected, `conversation ${id}`);
        }
        for (const a of fresh.answers) assert.ok(a.conversations.length <= PAGE);
        // Now new messages in a few groups, and a sync with the cursors of all 60 (more than one frame holds).
        for (const i of [3, 17, 42, 59])
          await http(
            server,
            "POST",
            `/v1/conversations/${groups[i]}/messages`,
            { clientId: `late-${i}`, body: "late" },
            attacker.accessToken,
          );
        assert.ok(Buffer.byteLength(JSON.stringify(fresh.cursors)) > FRAME_LIMIT, "the cursors alone exceed one frame");
        const again = await pagedSync(client, fresh.cursors);
        const got = [...again.seen.entries()].filter(([, ms]) => ms.length > 0).map(([id]) => id);
        assert.deepEqual(got.sort(), [3, 17, 42, 59].map((i) => groups[i]!).sort());
        for (const size of [...fresh.frames, ...again.frames]) assert.ok(size < FRAME_LIMIT, `request frame of ${size} bytes`);
        assert.equal(client.closeCode, undefined);
      } finally {
        await client.close();
      }
    });
  });
