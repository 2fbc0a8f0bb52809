import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { NotificationSettings, ParleyClient, PushSubscriptionJSON } from "@parley/client";
import { NotificationStore } from "./notification-store.js";
import type { Permission, PushPlatform } from "./push-platform.js";

const SUB: PushSubscriptionJSON = { endpoint: "https://push.example/1", keys: { p256dh: "p", auth: "a" }, expirationTime: null };

/** A fake SDK push API that records calls and keeps settings like the server does. */
function fakeClient(
  enabled = true,
  initial: NotificationSettings = { dnd: null, previews: false, mentionsInMuted: false, mutes: [] },
) {
  const calls: string[] = [];
  let settings = initial;
  const push = {
    config: async () => ({ enabled, vapidPublicKey: enabled ? "VAPID" : null }),
    settings: async () => settings,
    subscribe: async (s: PushSubscriptionJSON) => void calls.push(`subscribe ${s.endpoint}`),
    unsubscribe: async (endpoint: string) => void calls.push(`unsubscribe ${endpoint}`),
    mute: async (conversationId: string) => {
      calls.push(`mute ${conversationId}`);
      return { conversationId, mutedUntil: "forever" as const };
    },
    unmute: async (conversationId: string) => {
      calls.push(`unmute ${conversationId}`);
      return { conversationId, mutedUntil: null };
    },
    updateSettings: async (patch: Partial<NotificationSettings>) => {
      calls.push(`settings ${JSON.stringify(patch)}`);
      settings = { ...settings, ...patch };
      return settings;
    },
  };
  const credentials = { user: { id: "ann" } };
  return { client: { push, credentials } as unknown as ParleyClient, calls };
}

function fakePlatform(permission: Permission, existing: PushSubscriptionJSON | null = null, answer: Permission = "granted") {
  const calls: string[] = [];
  let current = existing;
  const platform: PushPlatform = {
    supported: () => true,
    permission: () => permission,
    requestPermission: async () => {
      calls.push("request");
      permission = answer;
      return answer;
    },
    currentSubscription: async () => current,
    subscribe: async (key) => {
      calls.push(`subscribe ${key}`);
      current = SUB;
      return SUB;
    },
    unsubscribe: async () => {
      const endpoint = current?.endpoint ?? null;
      current = null;
      return endpoint;
    },
  };
  return { platform, calls };
}

/** Opt-ins remembered per user, like localStorage. */
function optIns(...users: string[]) {
  const map = new Map(users.map((u) => [`parley.push.${u}`, "1"]));
  return {
    map,
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  };
}

describe("NotificationStore", () => {
  it("on load re-registers this browser's existing subscription when permission is granted", async () => {
    const { client, calls } = fakeClient();
    const store = new NotificationStore(client, fakePlatform("granted", SUB).platform, optIns("ann"));
    await store.load();
    assert.deepEqual(calls, [`subscribe ${SUB.endpoint}`]);
    assert.equal(store.getState().subscribed, true);
    assert.equal(store.getState().serverEnabled, true);
  });

  it("on load does not sign up a user who never turned notifications on in this browser", async () => {
    const { client, calls } = fakeClient();
    const store = new NotificationStore(client, fakePlatform("granted", SUB).platform, optIns("someone-else"));
    await store.load();
    assert.deepEqual(calls, []);
    assert.equal(store.getState().subscribed, false);
  });

  it("on load registers nothing without permission or without a subscription", async () => {
    for (const [permission, existing] of [
      ["default", SUB],
      ["granted", null],
    ] as const) {
      const { client, calls } = fakeClient();
      const store = new NotificationStore(client, fakePlatform(permission, existing).platform, optIns("ann"));
      await store.load();
      assert.deepEqual(calls, []);
      assert.equal(store.getState().subscribed, false);
    }
  });

  it("enable asks permission, subscribes with the server's key and registers the subscription", async () => {
    const { client, calls } = fakeClient();
    const { platform, calls: browser } = fakePlatform("default");
    const remembered = optIns();
    const store = new NotificationStore(client, platform, remembered);
    await store.load();
    await store.enable();
    assert.deepEqual(browser, ["request", "subscribe VAPID"]);
    assert.deepEqual(calls, [`subscribe ${SUB.endpoint}`]);
    assert.equal(store.getState().subscribed, true);
    assert.equal(remembered.map.get("parley.push.ann"), "1", "the opt-in is remembered for this user");
    await store.disable();
    assert.deepEqual(calls.at(-1), `unsubscribe ${SUB.endpoint}`);
    assert.equal(store.getState().subscribed, false);
    assert.equal(remembered.map.has("parley.push.ann"), false);
  });

  it("enable with permission refused subscribes nothing and says why", async () => {
    const { client, calls } = fakeClient();
    const { platform, calls: browser } = fakePlatform("default", null, "denied");
    const store = new NotificationStore(client, platform, optIns());
    await store.load();
    await store.enable();
    assert.deepEqual(browser, ["request"]);
    assert.deepEqual(calls, []);
    assert.equal(store.getState().permission, "denied");
    assert.match(store.getState().error ?? "", /blocked/);
    assert.equal(store.getState().busy, false);
  });

  it("does nothing when the server has push turned off", async () => {
    const { client, calls } = fakeClient(false);
    const { platform, calls: browser } = fakePlatform("granted", SUB);
    const store = new NotificationStore(client, platform, optIns());
    await store.load();
    await store.enable();
    assert.deepEqual([...calls, ...browser], []);
    assert.equal(store.getState().serverEnabled, false);
  });

  it("mutes and unmutes conversations; a timed mute ends by itself", async () => {
    const { client, calls } = fakeClient();
    const store = new NotificationStore(client, fakePlatform("granted").platform, optIns());
    await store.load();
    await store.setMuted("C1", true);
    assert.equal(store.isMuted("C1"), true);
    assert.equal(store.isMuted("C2"), false);
    await store.setMuted("C1", false);
    assert.equal(store.isMuted("C1"), false);
    assert.deepEqual(calls, ["mute C1", "unmute C1"]);
  });

  it("a mute until a time holds until then", async () => {
    const { client } = fakeClient(true, {
      dnd: null,
      previews: false,
      mentionsInMuted: false,
      mutes: [{ conversationId: "C3", mutedUntil: 2000 }],
    });
    let now = 1000;
    const store = new NotificationStore(client, fakePlatform("granted").platform, optIns(), () => now);
    await store.load();
    assert.equal(store.isMuted("C3"), true);
    now = 2000;
    assert.equal(store.isMuted("C3"), false);
  });

  it("do not disturb, previews and mentions in muted conversations go to the server and come back as settings", async () => {
    const { client } = fakeClient();
    const store = new NotificationStore(client, fakePlatform("granted").platform, optIns());
    await store.load();
    await store.setDoNotDisturb("forever");
    await store.setPreviews(true);
    await store.setMentionsInMuted(true);
    assert.deepEqual(store.getState().settings, { dnd: "forever", previews: true, mentionsInMuted: true, mutes: [] });
    store.reset();
    assert.equal(store.getState().settings, null);
  });

  it("background-tab alerts are this browser's choice, kept in storage; turning notifications on asks permission", async () => {
    const { client } = fakeClient();
    const { platform, calls } = fakePlatform("default");
    const storage = optIns();
    const store = new NotificationStore(client, platform, storage);
    assert.deepEqual(store.getState().tabAlerts, { notify: true, sound: true }, "on by default");
    await store.setTabAlerts({ sound: false });
    assert.deepEqual(calls, [], "no permission asked for the sound");
    await store.setTabAlerts({ notify: true });
    assert.deepEqual(calls, ["request"]);
    assert.equal(store.getState().permission, "granted");
    const again = new NotificationStore(client, platform, storage);
    assert.deepEqual(again.getState().tabAlerts, { notify: true, sound: false }, "kept across page loads");
  });
});
