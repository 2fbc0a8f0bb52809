// Security review #8: display names, group titles and file names refuse control, bidirectional-control and invisible
// characters at the edge of every transport, and are stored in NFC.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import {
  connectVia,
  http,
  type ProtocolClient,
  ProtocolError,
  register,
  startTestServer,
  type TestServer,
  TRANSPORTS,
  uploadRaw,
} from "../harness.js";

/** Each would let its author pass for someone else, drive a terminal, or show nothing at all. */
const BAD_NAMES: [string, string][] = [
  ["alice\u001b]0;PWNED\u0007", "an OSC escape sequence"],
  ["\u202egnp.exe", "a right-to-left override"],
  ["bob\u2066\u2069", "a bidi isolate"],
  ["ali\u200fce", "a right-to-left mark"],
  ["nul\u0000byte", "NUL"],
  ["line\nbreak", "a newline"],
  ["para\u2029graph", "a paragraph separator"],
  ["c1\u009bcontrol", "a C1 control (CSI)"],
  ["\u200b\u200c\u200d", "only zero-width characters"],
  ["\u3164", "only a Hangul filler"],
  ["  \u00a0 ", "only white space"],
  ["\udb40\udc41\udb40\udc42", "only tag characters"],
  ["\ud800x", "a lone surrogate"],
];

const GOOD_NAMES = ["Zoë Ångström", "👩‍💻 Ann", "محمد", "李小龙", "Ελένη", "🇫🇷"];

function isValidationError(field: string) {
  return (e: unknown) =>
    e instanceof ProtocolError &&
    e.error.code === "validation_failed" &&
    e.error.details?.["field"] === field &&
    /visible character/.test(e.error.message);
}

describe("security review #8: user-visible names", () => {
  let server: TestServer;
  let alice: AuthResult;
  let bob: AuthResult;

  before(async () => {
    server = await startTestServer();
    alice = await register(server);
    bob = await register(server);
  });
  after(() => server.close());

  for (const [name, what] of BAD_NAMES)
    it(`refuses a display name with ${what} at registration`, async () => {
      const res = await http(server, "POST", "/v1/auth/register", {
        username: `spoof${BAD_NAMES.findIndex(([n]) => n === name)}`,
        password: "correct horse battery",
        displayName: name,
      });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, "validation_failed");
      assert.equal(res.body.error.details.field, "displayName");
      assert.match(res.body.error.message, /visible character/);
    });

  for (const transport of TRANSPORTS)
    describe(`over ${transport}`, () => {
      let client: ProtocolClient;
      before(async () => {
        client = await connectVia(transport, server, alice.accessToken);
      });
      after(() => client.close());

      it("me.update, conversations.createGroup and conversations.rename refuse every bad name and change nothing", async () => {
        const group = await client.request("conversations.createGroup", { title: "Plans", memberIds: [bob.user.id] });
        const before = await client.request("users.get", { username: alice.user.username });
        for (const [name, what] of BAD_NAMES) {
          await assert.rejects(client.request("me.update", { displayName: name }), isValidationError("displayName"), what);
          await assert.rejects(
            client.request("conversations.createGroup", { title: name, memberIds: [bob.user.id] }),
            isValidationError("title"),
            what,
          );
          await assert.rejects(
            client.request("conversations.rename", { conversationId: group.id, title: name }),
            isValidationError("title"),
            what,
          );
        }
        const me = await client.request("users.get", { username: alice.user.username });
        assert.equal(me.displayName, before.displayName);
        const after = await client.request("conversations.get", { conversationId: group.id });
        assert.equal(after.title, "Plans");
      });

      it("accepts names in any script, emoji sequences included, and stores them in NFC, trimmed", async () => {
        for (const name of GOOD_NAMES) {
          const user = await client.request("me.update", { displayName: name });
          assert.equal(user.displayName, name);
        }
        // "Zoë" typed with a combining diaeresis (NFD) is the same name as the precomposed one.
        const decomposed = " Zoe\u0308 ";
        const user = await client.request("me.update", { displayName: decomposed });
        assert.equal(user.displayName, "Zo\u00eb");
        const seen = await client.request("users.get", { username: alice.user.username });
        assert.equal(seen.displayName, "Zo\u00eb");
        const group = await client.request("conversations.createGroup", { title: "Cafe\u0301", memberIds: [bob.user.id] });
        assert.equal(group.title, "Caf\u00e9");
        const renamed = await client.request("conversations.rename", { conversationId: group.id, title: "Re\u0301sume\u0301" });
        assert.equal(renamed.message.event?.type === "conversation.renamed" && renamed.message.event.title, "R\u00e9sum\u00e9");
      });
    });

  it("file names follow the same rule: an invisible name is refused like a bidi override", async () => {
    const bytes = new TextEncoder().encode("just text\n");
    for (const name of ["\u200b", "\u3164", "\u202etxt.exe", "a\u2066b.txt"]) {
      const res = await uploadRaw(server, alice.accessToken, name, bytes, "text/plain");
      assert.equal(res.status, 400, `${JSON.stringify(name)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, "invalid_file_name");
    }
    const ok = await uploadRaw(server, alice.accessToken, "notes\u0301.txt", bytes, "text/plain");
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.name, "notes\u0301.txt".normalize("NFC"));
  });
});
