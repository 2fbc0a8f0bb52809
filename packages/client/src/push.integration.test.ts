// The SDK's push API against the real server and a local Web Push service that decrypts what it receives.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TestPushService } from "@parley/server/testing";
import type { ParleyClient } from "./node.js";
import { PASSWORD, SdkTestServer } from "./testing/real-server.js";

describe("SDK push API", () => {
  let server: SdkTestServer;
  let pushService: TestPushService;
  let ann: ParleyClient;
  let ben: ParleyClient;
  const suffix = `${process.pid % 10_000}`;

  before(async () => {
    pushService = await TestPushService.start();
    server = await SdkTestServer.start({
      label: "push",
      config: { presenceGraceMs: 100, pushCoalesceMs: 200, pushAllowPrivateEndpoints: true },
    });
    [ann, ben] = [server.client(), server.client()];
    await ann.register(`ann_push_${suffix}`, PASSWORD, { displayName: "Ann" });
    await ben.register(`ben_push_${suffix}`, PASSWORD, { displayName: "Ben" });
    await ann.connect();
  });
  after(async () => {
    await server.close();
    await pushService.close();
  });

  it("config, subscribe, a decrypted notification for an offline user, mute, settings, unsubscribe", async () => {
    const config = await ben.push.config();
    assert.equal(config.enabled, true);
    assert.match(config.vapidPublicKey ?? "", /^[A-Za-z0-9_-]{86,88}$/);
    const sub = pushService.subscription();
    await ben.push.subscribe(sub);
    const conversation = await ann.openDirect((await ann.getUser(`ben_push_${suffix}`)).id);

    const first = await ann.send(conversation.id, "hi Ben");
    await pushService.waitFor(() => pushService.delivered(sub.endpoint).length === 1);
    assert.deepEqual(pushService.delivered(sub.endpoint)[0]!.payload, {
      type: "message",
      conversationId: conversation.id,
      title: "Ann",
      body: "New message from Ann",
      count: 1,
      seq: first.seq,
      url: `/c/${conversation.id}`,
    });

    assert.deepEqual(await ben.push.mute(conversation.id), { conversationId: conversation.id, mutedUntil: "forever" });
    assert.deepEqual((await ben.push.settings()).mutes, [{ conversationId: conversation.id, mutedUntil: "forever" }]);
    await new Promise((r) => setTimeout(r, 250));
    await ann.send(conversation.id, "muted");
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(pushService.delivered(sub.endpoint).length, 1, "muted: nothing more");

    await ben.push.unmute(conversation.id);
    const settings = await ben.push.updateSettings({ previews: true });
    assert.deepEqual(settings, { dnd: null, previews: true, mentionsInMuted: false, mutes: [], groupAdds: "everyone" });
    assert.equal((await ben.push.updateSettings({ mentionsInMuted: true })).mentionsInMuted, true);
    assert.equal((await ben.push.settings()).mentionsInMuted, true);
    await ann.send(conversation.id, "with preview");
    await pushService.waitFor(() => pushService.delivered(sub.endpoint).length === 2);
    const second = pushService.delivered(sub.endpoint)[1]!.payload;
    assert.equal(second.body, "with preview");
    assert.equal(second.count, 3, "every unread message counts, the muted one too");

    await ben.push.unsubscribe(sub.endpoint);
    await new Promise((r) => setTimeout(r, 250));
    await ann.send(conversation.id, "after unsubscribe");
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(pushService.delivered(sub.endpoint).length, 2);
    assert.deepEqual(pushService.rejected, []);
  });
});
