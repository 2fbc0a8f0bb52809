import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SystemEvent } from "@parley/client";
import { setLanguage } from "../i18n/i18n.js";
import { describeSystemEvent, joinNames, type Names } from "./system-events.js";

const people: Record<string, string> = { U_ann: "Ann", U_bob: "Bob", U_cat: "Carol" };
const names: Names = { me: "U_ann", nameOf: (id) => people[id] ?? "Someone" };

describe("describeSystemEvent", () => {
  it("describes creation of groups and direct chats", () => {
    assert.equal(
      describeSystemEvent({ type: "conversation.created", actorId: "U_bob", title: "Team", userIds: [] }, names),
      "Bob created the group “Team”",
    );
    assert.equal(
      describeSystemEvent({ type: "conversation.created", actorId: "U_ann", title: null, userIds: [] }, names),
      "You started the conversation",
    );
  });

  it("names the signed-in user 'you' and lists added members", () => {
    assert.equal(
      describeSystemEvent({ type: "member.added", actorId: "U_bob", userIds: ["U_ann", "U_cat"] }, names),
      "Bob added you and Carol",
    );
    assert.equal(describeSystemEvent({ type: "member.removed", actorId: "U_ann", userId: "U_bob" }, names), "You removed Bob");
    assert.equal(describeSystemEvent({ type: "member.left", actorId: "U_cat" }, names), "Carol left");
  });

  it("describes joining a channel and removing many members at once", () => {
    assert.equal(describeSystemEvent({ type: "member.added", actorId: "U_cat", userIds: ["U_cat"] }, names), "Carol joined");
    assert.equal(describeSystemEvent({ type: "member.added", actorId: "U_ann", userIds: ["U_ann"] }, names), "You joined");
    assert.equal(
      describeSystemEvent({ type: "members.removed", actorId: "U_ann", userIds: ["U_bob", "U_cat"] }, names),
      "You removed Bob and Carol",
    );
  });

  it("describes disappearing-message timers and retention, on and off", () => {
    assert.equal(
      describeSystemEvent({ type: "conversation.disappearing", actorId: "U_bob", seconds: 86_400 }, names),
      "Bob set messages to disappear after 1 day",
    );
    assert.equal(
      describeSystemEvent({ type: "conversation.disappearing", actorId: "U_ann", seconds: null }, names),
      "You turned off disappearing messages",
    );
    assert.equal(
      describeSystemEvent({ type: "conversation.retention", actorId: "U_cat", seconds: 7_776_000 }, names),
      "Carol set messages to be deleted after 90 days",
    );
    assert.equal(
      describeSystemEvent({ type: "conversation.retention", actorId: "U_cat", seconds: null }, names),
      "Carol removed this chat's retention period",
    );
  });

  it("describes roles and renames", () => {
    assert.equal(
      describeSystemEvent({ type: "member.role", actorId: "U_bob", userId: "U_cat", role: "admin" }, names),
      "Bob made Carol an admin",
    );
    assert.equal(
      describeSystemEvent({ type: "member.role", actorId: "U_bob", userId: "U_ann", role: "member" }, names),
      "Bob made you a member",
    );
    assert.equal(
      describeSystemEvent({ type: "conversation.renamed", actorId: "U_bob", title: "Crew" }, names),
      "Bob renamed the group to “Crew”",
    );
  });

  it("tolerates event types from later protocol revisions", () => {
    const future = { type: "conversation.archived", actorId: "U_bob" } as unknown as SystemEvent;
    assert.equal(describeSystemEvent(future, names), "Bob changed the conversation");
  });

  it("falls back for unknown users", () => {
    assert.equal(describeSystemEvent({ type: "member.left", actorId: "U_zed" }, names), "Someone left");
  });
});

describe("joinNames", () => {
  it("joins with commas and a final 'and'", () => {
    assert.equal(joinNames([]), "");
    assert.equal(joinNames(["Ann"]), "Ann");
    assert.equal(joinNames(["Ann", "Bob"]), "Ann and Bob");
    assert.equal(joinNames(["Ann", "Bob", "Carol"], "en-GB"), "Ann, Bob and Carol");
    assert.equal(joinNames(["Ann", "Bob", "Carol"], "en-US"), "Ann, Bob, and Carol");
    assert.equal(joinNames(["Ann", "Bob", "Carol"], "de"), "Ann, Bob und Carol");
  });
});

describe("describeSystemEvent in German", () => {
  it("conjugates for the signed-in user and names them in the accusative", () => {
    try {
      setLanguage("de", ["de-DE"]);
      assert.equal(
        describeSystemEvent({ type: "member.added", actorId: "U_bob", userIds: ["U_ann", "U_cat"] }, names),
        "Bob hat dich und Carol hinzugefügt",
      );
      assert.equal(
        describeSystemEvent({ type: "member.removed", actorId: "U_ann", userId: "U_bob" }, names),
        "Du hast Bob entfernt",
      );
      assert.equal(
        describeSystemEvent({ type: "conversation.disappearing", actorId: "U_bob", seconds: 604_800 }, names),
        "Bob hat selbstlöschende Nachrichten auf 7 Tage gestellt",
      );
    } finally {
      setLanguage("en", []);
    }
  });
});
