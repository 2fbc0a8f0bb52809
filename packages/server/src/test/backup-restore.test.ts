// `main.js backup <dir>` and `main.js restore <dir>` as an operator runs them: a backup taken by another process while
// the embedded server serves a stream of sends holds every message acknowledged before it started, gap-free, and the
// uploaded file; restored into a fresh data directory, a server starts on it and everything reads back through the
// protocol, with the same password and the same access token. With encryption at rest the copy stays encrypted and
// needs the key to restore.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Message } from "@parley/protocol";
import { AtRestKey } from "../adapters/at-rest/at-rest-key.js";
import { type ParleyServer, startParley } from "../app.js";
import type { Config } from "../config/index.js";
import { connectVia, http, login, RATE_LIMITS_OFF, register, uploadFile } from "./harness.js";
import { waitUntil } from "./wait.js";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));

const dirs: string[] = [];
function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "parley-backup-"));
  dirs.push(dir);
  return dir;
}

function start(dataDir: string, config: Partial<Config> = {}): Promise<ParleyServer> {
  return startParley({ host: "127.0.0.1", port: 0, dataDir, logLevel: "silent", ...RATE_LIMITS_OFF, ...config }, {});
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runMain(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env["PATH"] ?? "", PARLEY_LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

interface Outcome {
  username: string;
  token: string;
  conversationId: string;
  uploadId: string;
  file: Buffer;
  /** Bodies acknowledged before the backup process started. */
  before: string[];
  /** Every body acknowledged, before, during and after the backup. */
  all: string[];
  backupDir: string;
}

/** Populates a server, then backs it up with the CLI while one client keeps sending; returns what was acknowledged. */
async function backUpUnderLoad(dataDir: string, env: Record<string, string>, config: Partial<Config>): Promise<Outcome> {
  const server = await start(dataDir, config);
  try {
    const username = `backup_${randomBytes(4).toString("hex")}`;
    const alice = await register(server, username);
    const bob = await register(server);
    const file = Buffer.from(`backup file ${randomBytes(8).toString("hex")} `.repeat(5000));
    const upload = await uploadFile(server, alice.accessToken, "notes.txt", file, "text/plain");
    const client = await connectVia("ws", server, alice.accessToken);
    try {
      const direct = await client.request("conversations.openDirect", { userId: bob.user.id });
      const all: string[] = [];
      const send = async (body: string, attachments: string[] = []) => {
        await client.request("messages.send", { conversationId: direct.id, clientId: body, body, attachments });
        all.push(body);
      };
      await send("with the file", [upload.id]);
      for (let i = 0; i < 50; i++) await send(`before ${i}`);
      let sending = true;
      const load = (async () => {
        for (let i = 0; sending && i < 5000; i++) await send(`during ${i}`);
      })();
      const before = [...all];
      const backupDir = join(newDir(), "backup");
      const run = await runMain(["backup", backupDir], env);
      sending = false;
      await load;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /backed up .* messages, 1 media files/);
      assert.ok(all.length > before.length, "messages were sent while the backup ran");
      return { username, token: alice.accessToken, conversationId: direct.id, uploadId: upload.id, file, before, all, backupDir };
    } finally {
      await client.close();
    }
  } finally {
    await server.close();
  }
}

/** Starts on the restored directory and reads the messages (gap-free, every pre-backup one) and the file back. */
async function readBack(dataDir: string, outcome: Outcome, config: Partial<Config>): Promise<void> {
  const server = await start(dataDir, config);
  try {
    // The same access token still works (jwt-secret came along), and so does the password.
    const client = await connectVia("ws", server, outcome.token);
    const relogged = await login(server, outcome.username);
    try {
      // Every entry, page by page (the server caps a page at its historyPageMax).
      const messages: Message[] = [];
      for (let more = true; more; ) {
        const page = (await client.request("messages.history", {
          conversationId: outcome.conversationId,
          after: messages.at(-1)?.seq ?? 0,
          limit: 1000,
        })) as { messages: Message[]; hasMore: boolean };
        messages.push(...page.messages);
        more = page.hasMore && page.messages.length > 0;
      }
      // The conversation's own system entries come first and carry no body.
      const bodies = messages.flatMap((m) => (m.body === null ? [] : [m.body]));
      assert.deepEqual(
        messages.map((m) => m.seq),
        messages.map((_, i) => i + 1),
        "seqs are 1..n without gaps",
      );
      assert.deepEqual(bodies, outcome.all.slice(0, bodies.length), "a prefix of what was acknowledged, in order");
      assert.ok(bodies.length >= outcome.before.length, `${bodies.length} >= ${outcome.before.length} acknowledged before`);
      // The full-text index came along (or catches up): the first message is found by its words.
      await waitUntil("the restored message in search results", async () => {
        const found = (await client.request("messages.search", { query: "file", conversationId: outcome.conversationId })) as {
          results: { message: Message }[];
        };
        return found.results.some((hit) => hit.message.body === "with the file");
      });
      const signed = await http(server, "POST", "/v1/files/sign", { uploadIds: [outcome.uploadId] }, relogged.accessToken);
      const download = await fetch(server.url + signed.body.files[0].url);
      assert.equal(download.status, 200);
      assert.deepEqual(Buffer.from(await download.arrayBuffer()), outcome.file);
      // The restored server takes new messages after the restored ones.
      const ack = await client.request("messages.send", {
        conversationId: outcome.conversationId,
        clientId: "after-restore",
        body: "after restore",
      });
      assert.equal(ack.seq, (messages.at(-1)?.seq ?? 0) + 1);
    } finally {
      await client.close();
    }
  } finally {
    await server.close();
  }
}

describe("backup and restore (embedded mode)", () => {
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("backs up a serving server under load and restores into a fresh data directory", async () => {
    const dataDir = newDir();
    const outcome = await backUpUnderLoad(dataDir, { PARLEY_DATA_DIR: dataDir }, {});
    const manifest = JSON.parse(readFileSync(join(outcome.backupDir, "parley-backup.json"), "utf8"));
    assert.equal(manifest.encryptionKey, null);
    assert.ok(manifest.schemaVersion > 0);
    assert.ok(!existsSync(join(outcome.backupDir, "media", "tmp")), "uploads in progress are not copied");

    const restored = join(newDir(), "data");
    const run = await runMain(["restore", outcome.backupDir], { PARLEY_DATA_DIR: restored });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(statSync(restored).mode & 0o777, 0o700);
    await readBack(restored, outcome, {});

    // Restoring over a data directory that is in use is refused.
    const again = await runMain(["restore", outcome.backupDir], { PARLEY_DATA_DIR: restored });
    assert.equal(again.code, 2);
    assert.match(again.stderr, /is not empty/);
  });

  it("keeps an encrypted data directory's backup encrypted; restoring needs the key", async () => {
    const dataDir = newDir();
    const keyPath = join(newDir(), "key");
    writeFileSync(keyPath, `${AtRestKey.generate()}\n`, { mode: 0o600 });
    const env = { PARLEY_DATA_DIR: dataDir, PARLEY_ENCRYPTION_KEY_FILE: keyPath };
    const outcome = await backUpUnderLoad(dataDir, env, { encryptionKeyFile: keyPath });

    const copy = readFileSync(join(outcome.backupDir, "parley.db"));
    assert.ok(!copy.subarray(0, 16).toString("latin1").startsWith("SQLite format 3"), "the copy is encrypted");
    for (const canary of [outcome.username, "before 1"]) assert.ok(!copy.includes(Buffer.from(canary)), canary);
    const media = readdirSync(join(outcome.backupDir, "media"), { recursive: true, withFileTypes: true }).filter((e) =>
      e.isFile(),
    );
    assert.equal(media.length, 1);
    const blob = readFileSync(join(media[0]?.parentPath ?? "", media[0]?.name ?? ""));
    assert.ok(!blob.includes(outcome.file.subarray(0, 20)), "the file stays sealed");

    const restored = join(newDir(), "data");
    const withoutKey = await runMain(["restore", outcome.backupDir], { PARLEY_DATA_DIR: restored });
    assert.equal(withoutKey.code, 2);
    assert.match(withoutKey.stderr, /is encrypted/);
    assert.ok(!existsSync(join(restored, "parley.db")), "nothing restored without the key");

    const run = await runMain(["restore", outcome.backupDir], { PARLEY_DATA_DIR: restored, PARLEY_ENCRYPTION_KEY_FILE: keyPath });
    assert.equal(run.code, 0, run.stderr);
    await readBack(restored, outcome, { encryptionKeyFile: keyPath });
  });

  it("refuses a backup of a PostgreSQL deployment and a non-empty target", async () => {
    const pg = await runMain(["backup", join(newDir(), "b")], { PARLEY_DATABASE_URL: "postgres://127.0.0.1/x" });
    assert.equal(pg.code, 2);
    assert.match(pg.stderr, /embedded mode/);
    const nonEmpty = newDir();
    writeFileSync(join(nonEmpty, "x"), "x");
    const full = await runMain(["backup", nonEmpty], { PARLEY_DATA_DIR: newDir() });
    assert.equal(full.code, 2);
    assert.match(full.stderr, /is not empty/);
    const usage = await runMain(["backup"], {});
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Usage: parley-server backup/);
  });
});
