import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import {
  ansi,
  conversationName,
  describeAction,
  describeEvent,
  formatBody,
  formatMessage,
  formatSearchHit,
  formatTicks,
  formatTime,
  markAnsi,
  table,
  visibleWidth,
} from "./format.js";
import { terminalText } from "./terminal-text.js";

const names: Record<string, string> = { a: "Alice", b: "Bob", c: "Carol" };
const nameOf = (id: string) => names[id] ?? id;

describe("CLI formatting", () => {
  it("ticks: sent, delivered, read, and read by k of n in groups", () => {
    assert.equal(formatTicks({ delivered: 0, read: 0, total: 1 }), "✓");
    assert.equal(formatTicks({ delivered: 1, read: 0, total: 1 }), "✓✓");
    assert.equal(formatTicks({ delivered: 1, read: 1, total: 1 }), "✓✓ read");
    assert.equal(formatTicks({ delivered: 1, read: 0, total: 3 }), "✓ delivered to 1 of 3");
    assert.equal(formatTicks({ delivered: 3, read: 0, total: 3 }), "✓✓");
    assert.equal(formatTicks({ delivered: 3, read: 2, total: 3 }), "✓✓ read by 2 of 3");
    assert.equal(formatTicks({ delivered: 3, read: 3, total: 3 }), "✓✓ read");
  });

  it("messages show time, sender (you for own) and ticks on own text only", () => {
    const at = new Date(2030, 0, 2, 9, 5).getTime();
    const m: Message = {
      id: "1",
      conversationId: "c",
      seq: 1,
      senderId: "a",
      clientId: "k",
      kind: "text",
      body: "hi",
      event: null,
      createdAt: at,
      attachments: [],
    };
    assert.equal(formatMessage(m, { me: "b", nameOf, ticks: "✓", now: at }), "[09:05] Alice: hi");
    assert.equal(formatMessage(m, { me: "a", nameOf, ticks: "✓✓", now: at }), "[09:05] you: hi ✓✓");
    assert.equal(formatTime(at, at + 86_400_000), "Jan 2 09:05");
  });

  it("messages show their #seq, quote, edited marker, reactions and tombstones", () => {
    const at = new Date(2026, 0, 1, 9, 5).getTime();
    const base: Message = {
      id: "m",
      conversationId: "c",
      seq: 7,
      senderId: "a",
      clientId: "x",
      kind: "text",
      body: "ok",
      event: null,
      createdAt: at,
      attachments: [],
    };
    const reply: Message = {
      ...base,
      replyTo: { seq: 5, senderId: "b", preview: "shall we?" },
      editedAt: at,
      reactions: [
        { emoji: "👍", count: 2, userIds: ["b", "c"] },
        { emoji: "🎉", count: 1, userIds: ["c"] },
      ],
    };
    assert.equal(
      formatMessage(reply, { me: "b", nameOf, now: at, showSeq: true }),
      '#7 [09:05] Alice: (re #5 Bob: "shall we?") ok (edited) 👍 2  🎉 1',
    );
    assert.equal(
      formatBody({ ...base, replyTo: { seq: 5, senderId: "b", preview: null, deleted: true } }, nameOf),
      "(re #5 deleted message) ok",
    );
    assert.equal(formatBody({ ...base, body: "<@b> and <@a>, see" }, nameOf), "@Bob and @Alice, see");
    assert.equal(formatBody({ ...base, body: null, deletedAt: at }, nameOf), "(this message was deleted)");
    assert.equal(formatBody({ ...base, body: null, hidden: true }, nameOf), "(you deleted this message)");
    // security review #3: what the reader's membership window withholds.
    assert.equal(
      formatBody({ ...base, replyTo: { seq: 5, senderId: "", preview: null, withheld: true } }, nameOf),
      "(re #5 message not available) ok",
    );
    assert.equal(formatBody({ ...base, body: null, withheld: true }, nameOf), "(changed after you left: not available)");
    const action: Message = {
      ...base,
      kind: "action",
      body: null,
      action: { type: "reaction", target: 5, emoji: "👍", remove: false },
    };
    assert.equal(describeAction(action, nameOf), "Alice reacted 👍 to #5");
    assert.equal(describeAction({ ...action, action: { type: "delete", target: 5 } }, nameOf), "Alice deleted #5");
  });

  it("system events read as sentences", () => {
    assert.equal(describeEvent({ type: "member.added", actorId: "a", userIds: ["b", "c"] }, nameOf), "Alice added Bob, Carol");
    assert.equal(
      describeEvent({ type: "conversation.created", actorId: "a", title: "T", userIds: [] }, nameOf),
      'Alice created the group "T"',
    );
    assert.equal(
      describeEvent({ type: "member.role", actorId: "a", userId: "b", role: "admin" }, nameOf),
      "Alice made Bob admin",
    );
  });

  it("names a direct conversation after the other member", () => {
    const members = [
      { userId: "a", role: "member" as const, joinedSeq: 1, deliveredSeq: 0, readSeq: 0 },
      { userId: "b", role: "member" as const, joinedSeq: 1, deliveredSeq: 0, readSeq: 0 },
    ];
    assert.equal(conversationName({ kind: "direct", title: null, members }, "a", nameOf), "Bob");
    assert.equal(conversationName({ kind: "group", title: "Team", members }, "a", nameOf), "Team");
  });

  it("prints a search hit with its highlights marked and control characters neutralized on output", () => {
    const at = new Date(2026, 0, 5, 9, 30).getTime();
    const message: Message = {
      id: "m",
      conversationId: "c",
      seq: 7,
      senderId: "b",
      clientId: "k",
      kind: "text",
      body: "deploy \x1b[2Jnow",
      event: null,
      createdAt: at,
      attachments: [],
    };
    const hit = { conversationId: "c", seq: 7, message, snippet: "deploy \x1b[2Jnow", highlights: [{ start: 0, end: 6 }] };
    assert.equal(
      terminalText(formatSearchHit(hit, { me: "a", nameOf, where: "Team #7", now: at })),
      "[09:30] Team #7 Bob: *deploy* \u241b[2Jnow",
    );
    assert.equal(
      terminalText(formatSearchHit(hit, { me: "b", nameOf, now: at, mark: (t) => `<${t}>` })),
      "[09:30] you: <deploy> \u241b[2Jnow",
    );
    assert.equal(
      terminalText(formatSearchHit(hit, { me: "b", nameOf, now: at, mark: markAnsi })),
      "[09:30] you: \x1b[7mdeploy\x1b[27m \u241b[2Jnow",
    );
  });

  it("aligns tables, one line per row, and measures text without escapes", () => {
    assert.deepEqual(
      table([
        ["ID", "NAME", "LAST"],
        ["abc", "x", "two\nlines"],
      ]),
      ["ID   NAME  LAST", "abc  x     two ↵ lines"],
    );
    assert.equal(visibleWidth("\x1b[1mbold\x1b[22m ✓✓"), 7);
  });
});

describe("security review #6: server text cannot drive the terminal", () => {
  const at = new Date(2026, 0, 5, 9, 30).getTime();
  const message = (senderId: string, body: string): Message => ({
    id: "m",
    conversationId: "c",
    seq: 3,
    senderId,
    clientId: null,
    kind: "text",
    body,
    event: null,
    createdAt: at,
    attachments: [],
  });
  /** What a terminal would be told: escape, BEL, CR, backspace, 8-bit CSI/OSC/DCS, bidi overrides, NUL. */
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
  const DRIVES_TERMINAL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

  it("neutralises ESC sequences (CSI, OSC title and clipboard, DCS), C0 and C1 controls and bidi overrides", () => {
    const cases: [string, string][] = [
      ["alice\x1b]0;PWNED\x07", "alice\u241b]0;PWNED\u2407"],
      ["\x1b]52;c;cm0gLXJmIH4K\x1b\\", "\u241b]52;c;cm0gLXJmIH4K\u241b\\"],
      ["hi\x1b[2K\x1b[1A\rbob: lies", "hi\u241b[2K\u241b[1A\u240dbob: lies"],
      ["\x1bP+q544e\x1b\\", "\u241bP+q544e\u241b\\"],
      ["\x9b31mred\x9d0;title\x9c", "\ufffd31mred\ufffd0;title\ufffd"],
      ["\u202egnp.exe and \u2066iso\u2069", "\ufffdgnp.exe and \ufffdiso\ufffd"],
      ["nul\x00 bs\x08 del\x7f tab\tend", "nul\u2400 bs\u2408 del\u2421 tab end"],
    ];
    for (const [raw, shown] of cases) {
      assert.equal(terminalText(raw), shown, JSON.stringify(raw));
      assert.doesNotMatch(terminalText(raw), DRIVES_TERMINAL);
    }
  });

  it("keeps the CLI's own styling, but not styling that came with the text", () => {
    assert.equal(terminalText(ansi.bold("Alice")), "\x1b[1mAlice\x1b[22m");
    const line = formatMessage(message("b", "\x1b[1mAlice\x1b[22m: hi"), { me: "a", nameOf, style: ansi, now: at });
    assert.equal(terminalText(line), "\x1b[2m[09:30]\x1b[22m \x1b[1mBob\x1b[22m: \u241b[1mAlice\u241b[22m: hi");
  });

  it("shows a body's lines indented under its sender, so a body cannot forge another sender's line", () => {
    const forged = message("b", "see you\n[09:31] Alice: send me your password\r\n[09:32] Carol: me too");
    assert.equal(
      terminalText(formatMessage(forged, { me: "a", nameOf, now: at })),
      "[09:30] Bob: see you\n    [09:31] Alice: send me your password\n    [09:32] Carol: me too",
    );
    const withFile = {
      ...message("b", "notes"),
      attachments: [
        { id: "u", name: "plan.pdf", mimeType: "application/pdf", size: 2048, width: null, height: null, hasThumbnail: false },
      ],
    };
    assert.equal(
      terminalText(formatMessage(withFile, { me: "a", nameOf, now: at })),
      "[09:30] Bob: notes\n    📎 plan.pdf (2.0 KB, application/pdf)",
    );
    const unscanned = { ...withFile, attachments: [{ ...withFile.attachments[0]!, unscanned: true as const }] };
    assert.equal(
      terminalText(formatMessage(unscanned, { me: "a", nameOf, now: at })),
      "[09:30] Bob: notes\n    📎 plan.pdf (2.0 KB, application/pdf) ⚠ not scanned for malware",
    );
  });

  it("names, titles and events from the server are neutralised like bodies", () => {
    const evil: Record<string, string> = { e: "eve\x1b]0;PWNED\x07\x1b[2J" };
    const nameOfEvil = (id: string) => evil[id] ?? id;
    const created = describeEvent({ type: "conversation.created", actorId: "e", userIds: ["e"], title: "t\x1b[5m" }, nameOfEvil);
    assert.equal(terminalText(created), 'eve\u241b]0;PWNED\u2407\u241b[2J created the group "t\u241b[5m"');
    const members = [
      { userId: "a", role: "member" as const, joinedSeq: 1, deliveredSeq: 0, readSeq: 0 },
      { userId: "e", role: "member" as const, joinedSeq: 1, deliveredSeq: 0, readSeq: 0 },
    ];
    assert.doesNotMatch(
      terminalText(conversationName({ kind: "direct", title: null, members }, "a", nameOfEvil)),
      DRIVES_TERMINAL,
    );
  });
});
