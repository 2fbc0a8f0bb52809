// Encryption at rest in the embedded mode, as an operator meets it: messages and files sent through the protocol are
// nowhere on disk in plaintext, a restart with the key reads them back, a missing or wrong key stops the start with a
// clear message, and `main.js encryption rotate | migrate` re-key or encrypt a data directory without losing anything.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import type { Message } from "@parley/protocol";
import { AtRestKey } from "../adapters/at-rest/at-rest-key.js";
import { validateDeployment } from "../adapters/select.js";
import { runEncryptionCommand } from "../admin/encryption-command.js";
import { type ParleyServer, startParley } from "../app.js";
import { type Config, loadConfig } from "../config/index.js";
import { connectVia, http, login, RATE_LIMITS_OFF, register, uploadFile } from "./harness.js";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));
const PASSWORD_USER = () => `canary_${randomBytes(4).toString("hex")}`;

interface Fixture {
  username: string;
  body: string;
  file: Buffer;
  conversationId: string;
  uploadId: string;
}

const dirs: string[] = [];
function newDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "parley-at-rest-"));
  dirs.push(dir);
  return dir;
}

function keyFile(dir: string, hex = AtRestKey.generate()): string {
  const path = join(dir, `key-${randomBytes(4).toString("hex")}`);
  writeFileSync(path, `${hex}\n`, { mode: 0o600 });
  return path;
}

function start(dataDir: string, config: Partial<Config> = {}): Promise<ParleyServer> {
  return startParley({ host: "127.0.0.1", port: 0, dataDir, logLevel: "silent", ...RATE_LIMITS_OFF, ...config }, {});
}

/** Two users, a direct conversation, a message and a file of several 64 KiB chunks, each with its own canary text. */
async function populate(server: ParleyServer): Promise<Fixture> {
  const canary = randomBytes(6).toString("hex");
  const username = PASSWORD_USER();
  const alice = await register(server, username);
  const bob = await register(server);
  const file = Buffer.from(`file canary ${canary} `.repeat(8000));
  const upload = await uploadFile(server, alice.accessToken, "notes.txt", file, "text/plain");
  const client = await connectVia("ws", server, alice.accessToken);
  try {
    const direct = await client.request("conversations.openDirect", { userId: bob.user.id });
    const body = `message canary ${canary}`;
    await client.request("messages.send", { conversationId: direct.id, clientId: "c1", body, attachments: [upload.id] });
    return { username, body, file, conversationId: direct.id, uploadId: upload.id };
  } finally {
    await client.close();
  }
}

/** Signs in again and reads the message, the whole file and a range of it back through the protocol. */
async function readBack(server: ParleyServer, fixture: Fixture): Promise<void> {
  const alice = await login(server, fixture.username);
  const client = await connectVia("ws", server, alice.accessToken);
  try {
    const { messages } = await client.request("messages.history", { conversationId: fixture.conversationId });
    const sent = messages.find((m: Message) => m.body === fixture.body);
    assert.ok(sent, "the message is in the history");
    assert.equal(sent.attachments[0]?.id, fixture.uploadId);
    const signed = await http(server, "POST", "/v1/files/sign", { uploadIds: [fixture.uploadId] }, alice.accessToken);
    const url = server.url + signed.body.files[0].url;
    const whole = await fetch(url);
    assert.equal(whole.status, 200);
    assert.deepEqual(Buffer.from(await whole.arrayBuffer()), fixture.file);
    const range = await fetch(url, { headers: { range: "bytes=65530-65545" } });
    assert.equal(range.status, 206);
    assert.deepEqual(Buffer.from(await range.arrayBuffer()), fixture.file.subarray(65530, 65546));
  } finally {
    await client.close();
  }
}

/** The database (with its WAL and journals) and every media file, each with the canaries it contains in plaintext. */
function plaintextOnDisk(dataDir: string, fixture: Fixture): string[] {
  const canaries = [fixture.username, fixture.body, fixture.file.subarray(0, 30).toString()].map((c) => Buffer.from(c));
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.startsWith("parley.db") || path.includes(`${join(dataDir, "media")}/`)) {
        const bytes = readFileSync(path);
        for (const canary of canaries) if (bytes.includes(canary)) found.push(`${name}: ${canary}`);
      }
    }
  };
  walk(dataDir);
  return found;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runMain(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      env: { PATH: process.env["PATH"] ?? "", PARLEY_HOST: "127.0.0.1", PARLEY_PORT: "0", PARLEY_LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.once("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("encryption at rest (embedded mode)", () => {
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it("keeps no plaintext in the database, its WAL or the media files, and reads everything back after a restart", async () => {
    const dataDir = newDir();
    const encryptionKeyFile = keyFile(newDir());
    let server = await start(dataDir, { encryptionKeyFile });
    const fixture = await populate(server);
    await readBack(server, fixture);
    assert.deepEqual(plaintextOnDisk(dataDir, fixture), [], "nothing in plaintext while running (WAL included)");
    await server.close();
    assert.deepEqual(plaintextOnDisk(dataDir, fixture), [], "nothing in plaintext after the shutdown");

    server = await start(dataDir, { encryptionKeyFile });
    try {
      await readBack(server, fixture);
    } finally {
      await server.close();
    }
  });

  it("refuses to start without the key or with another one, saying why, and leaves the directory usable", async () => {
    const dataDir = newDir();
    const hex = AtRestKey.generate();
    const server = await start(dataDir, { encryptionKey: hex });
    await populate(server);
    await server.close();
    await assert.rejects(start(dataDir), /parley\.db is encrypted .*set PARLEY_ENCRYPTION_KEY_FILE or PARLEY_ENCRYPTION_KEY/);
    await assert.rejects(start(dataDir, { encryptionKey: AtRestKey.generate() }), /the key does not open .*parley\.db/);
    await assert.rejects(start(dataDir, { encryptionKey: "not a key" }), /PARLEY_ENCRYPTION_KEY: expected a 32-byte key/);

    // The process exits with status 2 and one line, no stack trace.
    const wrong = await runMain([], { PARLEY_DATA_DIR: dataDir, PARLEY_ENCRYPTION_KEY: AtRestKey.generate() });
    assert.equal(wrong.code, 2, wrong.stderr);
    assert.match(wrong.stderr, /^Invalid configuration: PARLEY_ENCRYPTION_KEY: the key does not open .*parley\.db/);
    assert.doesNotMatch(wrong.stderr, /\n\s+at /);
    const missing = await runMain([], { PARLEY_DATA_DIR: dataDir });
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /is encrypted/);

    const again = await start(dataDir, { encryptionKey: hex });
    await again.close();
  });

  it("rotates the key with `main.js encryption rotate`: the new key opens everything, the old one is refused", async () => {
    const dataDir = newDir();
    const keys = newDir();
    const oldKey = keyFile(keys);
    const newKey = keyFile(keys);
    const server = await start(dataDir, { encryptionKeyFile: oldKey });
    const fixture = await populate(server);
    const lines: string[] = [];
    const env = { PARLEY_DATA_DIR: dataDir, PARLEY_ENCRYPTION_KEY_FILE: oldKey };
    const output = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
    const busy = await runEncryptionCommand(["rotate", "--new-key-file", newKey], env, output);
    assert.equal(busy, 1);
    assert.match(lines.join("\n"), /parley\.db is in use: stop the server/);
    assert.ok(!existsSync(join(dataDir, "encryption-in-progress")), "a refused run marks nothing");
    await server.close();

    const rotate = await runMain(["encryption", "rotate", "--new-key-file", newKey], {
      PARLEY_DATA_DIR: dataDir,
      PARLEY_ENCRYPTION_KEY_FILE: oldKey,
    });
    assert.equal(rotate.code, 0, rotate.stderr);
    assert.match(rotate.stdout, /database: re-keyed; blobs: 0 encrypted, 1 re-keyed, 0 already done/);

    await assert.rejects(start(dataDir, { encryptionKeyFile: oldKey }), /the key does not open/);
    const rotated = await start(dataDir, { encryptionKeyFile: newKey });
    try {
      await readBack(rotated, fixture);
    } finally {
      await rotated.close();
    }
    assert.deepEqual(plaintextOnDisk(dataDir, fixture), []);
  });

  it("an interrupted rotation blocks the start until it is run again, which finishes it", async () => {
    const dataDir = newDir();
    const keys = newDir();
    const oldKey = keyFile(keys);
    const newKey = keyFile(keys);
    const server = await start(dataDir, { encryptionKeyFile: oldKey });
    const fixture = await populate(server);
    // A second file, which the first run cannot finish: it is damaged (its header no longer unwraps).
    const alice = await login(server, fixture.username);
    const extra = await uploadFile(server, alice.accessToken, "extra.bin", randomBytes(1000));
    await server.close();
    const blob = readdirSync(join(dataDir, "media"), { recursive: true, withFileTypes: true }).find(
      (e) => e.isFile() && /^[0-9a-f]{64}$/.test(e.name) && statSync(join(e.parentPath, e.name)).size < 2000,
    );
    assert.ok(blob, `the blob of ${extra.id}`);
    const blobPath = join(blob.parentPath, blob.name);
    const bytes = readFileSync(blobPath);
    bytes[40] = (bytes[40] ?? 0) ^ 0xff;
    writeFileSync(blobPath, bytes);

    const env = { PARLEY_DATA_DIR: dataDir, PARLEY_ENCRYPTION_KEY_FILE: oldKey };
    const first = await runMain(["encryption", "rotate", "--new-key-file", newKey], env);
    assert.equal(first.code, 1);
    assert.match(first.stderr, /opens with neither the current nor the new key/);
    await assert.rejects(start(dataDir, { encryptionKeyFile: newKey }), /`encryption rotate` was interrupted/);
    await assert.rejects(start(dataDir, { encryptionKeyFile: oldKey }), /`encryption rotate` was interrupted/);

    unlinkSync(blobPath); // the operator restores or gives up the damaged file
    const second = await runMain(["encryption", "rotate", "--new-key-file", newKey], env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /database: already done/);
    const rotated = await start(dataDir, { encryptionKeyFile: newKey });
    try {
      await readBack(rotated, fixture);
    } finally {
      await rotated.close();
    }
  });

  it("migrates a plaintext data directory with `main.js encryption migrate`, keeping every message and file", async () => {
    const dataDir = newDir();
    const key = keyFile(newDir());
    const plain = await start(dataDir);
    const fixture = await populate(plain);
    await plain.close();
    assert.notDeepEqual(plaintextOnDisk(dataDir, fixture), [], "the canaries are found in a plaintext directory");
    await assert.rejects(start(dataDir, { encryptionKeyFile: key }), /is not encrypted\. To encrypt .* encryption migrate/);

    const migrate = await runMain(["encryption", "migrate"], { PARLEY_DATA_DIR: dataDir, PARLEY_ENCRYPTION_KEY_FILE: key });
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /database: encrypted; blobs: 1 encrypted, 0 re-keyed, 0 already done/);
    assert.deepEqual(plaintextOnDisk(dataDir, fixture), []);

    await assert.rejects(start(dataDir), /is encrypted/);
    const encrypted = await start(dataDir, { encryptionKeyFile: key });
    try {
      await readBack(encrypted, fixture);
    } finally {
      await encrypted.close();
    }
    const again = await runMain(["encryption", "migrate"], { PARLEY_DATA_DIR: dataDir, PARLEY_ENCRYPTION_KEY_FILE: key });
    assert.match(again.stdout, /database: already done; blobs: 0 encrypted, 0 re-keyed, 1 already done/);
  });

  it("refuses a key with PostgreSQL or S3, and prints a fresh key with `encryption generate-key`", async () => {
    const key = AtRestKey.generate();
    assert.throws(
      () => validateDeployment(loadConfig({ PARLEY_ENCRYPTION_KEY: key, PARLEY_DATABASE_URL: "postgres://localhost/x" })),
      /PARLEY_ENCRYPTION_KEY: encryption at rest covers the embedded store .* PARLEY_DATABASE_URL/,
    );
    assert.throws(
      () => validateDeployment(loadConfig({ PARLEY_ENCRYPTION_KEY: key, PARLEY_S3_BUCKET: "b" })),
      /PARLEY_S3_BUCKET/,
    );
    const generated = await runMain(["encryption", "generate-key"], {});
    assert.equal(generated.code, 0);
    assert.match(generated.stdout, /^[0-9a-f]{64}\n$/);
    const usage = await runMain(["encryption", "nonsense"], {});
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /Usage: .* encryption <command>/);
  });
});
