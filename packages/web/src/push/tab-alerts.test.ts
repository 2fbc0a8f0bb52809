import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message, NotificationSettings } from "@parley/client";
import type { ChatState } from "../state/types.js";
import { alertContent, alertsFor, MAX_ALERT_AGE_MS } from "./tab-alerts.js";

const NOW = 1_000_000;

function message(partial: Partial<Message> = {}): Message {
  return {
    id: "M1",
    conversationId: "C1",
    seq: 5,
    senderId: "U_ann",
    clientId: "c1",
    kind: "text",
    body: "hello",
    event: null,
    createdAt: NOW - 10,
    attachments: [],
    ...partial,
  };
}

function settings(partial: Partial<NotificationSettings> = {}): NotificationSettings {
  return { dnd: null, previews: false, mentionsInMuted: false, mutes: [], ...partial };
}

describe("alerts in a background tab", () => {
  it("alert for a recent text from someone else", () => {
    assert.equal(alertsFor(message(), "U_me", settings(), NOW), true);
    assert.equal(alertsFor(message(), "U_me", null, NOW), true, "settings not loaded yet: no mutes known");
  });

  it("not for one's own messages, system entries, or a backlog after a reconnect", () => {
    assert.equal(alertsFor(message({ senderId: "U_me" }), "U_me", settings(), NOW), false);
    assert.equal(alertsFor(message({ kind: "system", body: null }), "U_me", settings(), NOW), false);
    assert.equal(alertsFor(message({ createdAt: NOW - MAX_ALERT_AGE_MS - 1 }), "U_me", settings(), NOW), false);
  });

  it("not under do not disturb, even for a mention", () => {
    const dnd = settings({ dnd: NOW + 1000, mentionsInMuted: true });
    assert.equal(alertsFor(message({ body: "<@U_me>" }), "U_me", dnd, NOW), false);
    assert.equal(alertsFor(message(), "U_me", settings({ dnd: NOW - 1 }), NOW), true, "an expired dnd");
  });

  it("not in a muted conversation, unless it mentions the user and they chose so", () => {
    const mutes = [{ conversationId: "C1", mutedUntil: "forever" as const }];
    assert.equal(alertsFor(message(), "U_me", settings({ mutes }), NOW), false);
    assert.equal(alertsFor(message({ body: "hi <@U_me>" }), "U_me", settings({ mutes }), NOW), false);
    assert.equal(alertsFor(message({ body: "hi <@U_me>" }), "U_me", settings({ mutes, mentionsInMuted: true }), NOW), true);
    assert.equal(alertsFor(message({ body: "hi <@U_x>" }), "U_me", settings({ mutes, mentionsInMuted: true }), NOW), false);
    const expired = [{ conversationId: "C1", mutedUntil: NOW - 1 }];
    assert.equal(alertsFor(message(), "U_me", settings({ mutes: expired }), NOW), true);
  });
});

describe("tab alert content", () => {
  const chat = {
    me: { id: "U1" },
    users: { U2: { id: "U2", username: "ann", displayName: "Ann" } },
    conversations: {},
  } as unknown as ChatState;
  const text = { conversationId: "C1", seq: 1, senderId: "U2", kind: "text", body: "meet at noon", createdAt: 1 } as Message;

  it("shows the text with previews, but never the text of an encrypted conversation", () => {
    assert.deepEqual(alertContent(text, chat, true), { title: "Ann", body: "meet at noon" });
    const encrypted = { ...text, mls: { epoch: 1, deviceId: "D1", data: "AAAA" } } as Message;
    assert.deepEqual(alertContent(encrypted, chat, true), { title: "Ann", body: "New encrypted message" });
  });
});
