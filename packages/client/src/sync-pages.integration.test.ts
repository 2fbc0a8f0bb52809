// Integration (security review #2): a user in more conversations than one frame's worth of cursors still connects and
// catches up, because the SDK walks sync and conversations.list page by page; and the consent controls through the SDK.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { isParleyError } from "./errors.js";
import { recorder, waitUntil } from "./testing/client-events.js";
import { PASSWORD, SdkTestServer } from "./testing/real-server.js";

const GROUPS = 45;
const FRAME_LIMIT = 1024;

function within<T>(what: string, promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

for (const transport of ["websocket", "long-poll"] as const)
  describe(`security review #02: the SDK pages through sync and the conversation list over ${transport}`, () => {
    let server: SdkTestServer;
    const suffix = `${process.pid % 10_000}${transport === "websocket" ? "w" : "l"}`;

    before(async () => {
      server = await SdkTestServer.start({
        label: "pages",
        // Small frames and pages: 45 conversations' cursors (≈ 36 bytes each) do not fit in one 1 KiB frame.
        config: { maxFrameBytes: FRAME_LIMIT, conversationPageMax: 8 },
        client: { transport },
      });
    });
    after(async () => {
      await server.close();
    });

    it("a member of more conversations than fit in one frame connects, lists them all and gets what it missed", async () => {
      const attacker = server.client();
      const victim = server.client();
      await attacker.register(`attacker_${suffix}`, PASSWORD);
      const me = await victim.register(`victim_${suffix}`, PASSWORD);
      await attacker.connect();
      const groups: string[] = [];
      for (let i = 0; i < GROUPS; i++) groups.push((await attacker.createGroup(`g${i}`, [me.id])).id);

      await within("the first connect and sync", victim.connect());
      assert.equal((await victim.conversations()).length, GROUPS);
      const cursors = victim.cursors();
      assert.equal(Object.keys(cursors).length, GROUPS);
      assert.ok(Buffer.byteLength(JSON.stringify(cursors)) > FRAME_LIMIT, "the cursors alone exceed one frame");
      const credentials = victim.credentials!;
      await victim.close();

      // Missed while away, spread over several pages.
      const missed = [0, 9, 20, 33, 44].map((i) => groups[i]!);
      for (const id of missed) await attacker.send(id, `while away in ${id}`);

      const again = server.client({ credentials, cursors });
      const seen = recorder(again);
      let disconnects = 0;
      again.on("state", (state) => {
        if (state === "reconnecting") disconnects++;
      });
      await within("the reconnect and sync", again.connect());
      await waitUntil("every missed message", () =>
        missed.every((id) => seen.get(id)?.some((m) => m.body?.startsWith("while away"))),
      );
      assert.equal(disconnects, 0);
      assert.deepEqual(Object.keys(again.cursors()).sort(), [...groups].sort());
    });
  });

describe("security review #02: consent to group adds through the SDK", () => {
  let server: SdkTestServer;
  before(async () => {
    server = await SdkTestServer.start({ label: "consent" });
  });
  after(async () => {
    await server.close();
  });

  it("groupAdds and the block list refuse a stranger with not_allowed", async () => {
    const victim = server.client();
    const stranger = server.client();
    const me = await victim.register(`victim_c${process.pid % 10_000}`, PASSWORD);
    const them = await stranger.register(`stranger_c${process.pid % 10_000}`, PASSWORD);
    await Promise.all([victim.connect(), stranger.connect()]);
    assert.equal((await victim.push.settings()).groupAdds, "everyone");
    assert.equal((await victim.push.updateSettings({ groupAdds: "nobody" })).groupAdds, "nobody");
    await assert.rejects(stranger.createGroup("nope", [me.id]), (e) => isParleyError(e, "not_allowed"));
    await victim.push.updateSettings({ groupAdds: "everyone" });
    assert.deepEqual(
      (await victim.block(them.id)).map((u) => u.id),
      [them.id],
    );
    await assert.rejects(stranger.createGroup("nope", [me.id]), (e) => isParleyError(e, "not_allowed"));
    await assert.rejects(stranger.openDirect(me.id), (e) => isParleyError(e, "not_allowed"));
    assert.deepEqual(await victim.unblock(them.id), []);
    assert.equal((await victim.blocked()).length, 0);
    await stranger.createGroup("fine", [me.id]);
  });
});
