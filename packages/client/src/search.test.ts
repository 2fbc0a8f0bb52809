// The SDK's search: paging through a real server's results, and highlight segments that never produce markup.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { snippetSegments } from "./search.js";
import { SdkTestServer, signUp } from "./testing/real-server.js";

describe("snippetSegments", () => {
  it("splits a snippet into plain and highlighted runs that join back to the snippet", () => {
    const snippet = "<b>launch</b> at dawn & launch again";
    const segments = snippetSegments(snippet, [
      { start: 3, end: 9 },
      { start: 24, end: 30 },
    ]);
    assert.deepEqual(segments, [
      { text: "<b>", highlighted: false },
      { text: "launch", highlighted: true },
      { text: "</b> at dawn & ", highlighted: false },
      { text: "launch", highlighted: true },
      { text: " again", highlighted: false },
    ]);
    assert.equal(segments.map((s) => s.text).join(""), snippet);
  });

  it("clamps or skips ranges that are out of bounds, empty, overlapping or out of order", () => {
    const snippet = "abcdef";
    const segments = snippetSegments(snippet, [
      { start: 4, end: 99 },
      { start: 1, end: 3 },
      { start: 5, end: 5 },
      { start: -3, end: 1 },
    ]);
    assert.equal(segments.map((s) => s.text).join(""), snippet);
    assert.deepEqual(
      segments.filter((s) => s.highlighted).map((s) => s.text),
      ["ef"],
    );
    assert.deepEqual(snippetSegments("", [{ start: 0, end: 2 }]), []);
  });
});

describe("ParleyClient.search against the real server", () => {
  let server: SdkTestServer;

  before(async () => {
    server = await SdkTestServer.start({ label: "search" });
  });
  after(async () => {
    await server.close();
  });

  it("finds messages of the user's conversations only, with typed hits and paging by next()", async () => {
    const [alice, bob, eve] = [server.client(), server.client(), server.client()];
    const suffix = process.pid % 10_000;
    const [, bobUser] = await signUp([alice, `alice_s${suffix}`], [bob, `bob_s${suffix}`], [eve, `eve_s${suffix}`]);
    const { id } = await alice.openDirect(bobUser.id);
    for (let i = 0; i < 5; i++) await alice.send(id, `the comet ${i} is visible tonight`);
    await bob.send(id, "no comet here, clouds");

    const first = await bob.search("comet", { limit: 2 });
    assert.equal(first.results.length, 2);
    assert.equal(first.hasMore, true);
    const hit = first.results[0]!;
    assert.equal(hit.conversationId, id);
    assert.equal(hit.message.seq, hit.seq);
    assert.deepEqual(
      snippetSegments(hit.snippet, hit.highlights)
        .filter((s) => s.highlighted)
        .map((s) => s.text),
      ["comet"],
    );
    const seqs = first.results.map((h) => h.seq);
    let page = first;
    while (page.hasMore) {
      page = await page.next();
      seqs.push(...page.results.map((h) => h.seq));
    }
    assert.equal(new Set(seqs).size, 6);
    await assert.rejects(page.next());

    const fromBob = await alice.search("comet", { senderId: bobUser.id });
    assert.deepEqual(
      fromBob.results.map((h) => h.message.body),
      ["no comet here, clouds"],
    );
    assert.deepEqual((await eve.search("comet")).results, [], "a user outside the conversation finds nothing");
  });
});
