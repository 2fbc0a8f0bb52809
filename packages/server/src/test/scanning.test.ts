// Malware scanning of uploads as clients and operators meet it: uploads over HTTP to a server scanning with a private
// clamd (its own test signatures), on SQLite and on PostgreSQL; the documented refusal; clamd down under either policy
// (refuse, or accept and flag), clamd's size limit; and what readiness and metrics say about it.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EICAR_TEST_FILE } from "@parley/conformance";
import type { AuthResult, Message } from "@parley/protocol";
import { S3BlobStore } from "../adapters/s3/s3-blob-store.js";
import type { Config } from "../config/index.js";
import { EICAR_SIGNATURE, TEST_MARKER, TEST_MARKER_SIGNATURE, TestClamd } from "./clamd.js";
import { dropSchema, probePostgres, TEST_DATABASE_URL, uniqueName } from "./cluster-harness.js";
import { connectVia, http, register, scrapeMetrics, startTestServer, type TestServer, uploadFile, uploadRaw } from "./harness.js";
import { TestS3 } from "./s3rver.js";
import { requireService } from "./services.js";

const clamdAvailable = await requireService("clamd (apt-get install clamav-daemon)", async () => {
  await (await TestClamd.start()).stop();
});
const postgresAvailable = clamdAvailable && (await requireService("PostgreSQL", () => probePostgres()));

/** Every blob file under the media directory (temporary files excluded). */
function blobFiles(server: TestServer): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== "tmp") walk(path);
      } else found.push(name);
    }
  };
  walk(join(server.dataDir, "media"));
  return found.sort();
}

const tmpFiles = (server: TestServer) => readdirSync(join(server.dataDir, "media", "tmp"));

/** Text that the test signature database reports (the marker can lie anywhere in a file). */
const infected = (padding = 0) => Buffer.concat([Buffer.alloc(padding, "a"), Buffer.from(`notes ${TEST_MARKER} end\n`)]);

const metric = (m: Map<string, number>, key: string) => m.get(key) ?? 0;

interface Engine {
  name: string;
  /** Settings for a server on this engine, and what to clean up after it. */
  open(): { config: Partial<Config>; cleanup(): Promise<void> };
  skip: string | false;
}

const ENGINES: Engine[] = [
  { name: "SQLite", open: () => ({ config: {}, cleanup: async () => {} }), skip: clamdAvailable ? false : "clamd unavailable" },
  {
    name: "PostgreSQL",
    open: () => {
      const schema = uniqueName("parley_scan");
      return { config: { databaseUrl: TEST_DATABASE_URL, databaseSchema: schema }, cleanup: () => dropSchema(schema) };
    },
    skip: postgresAvailable ? false : "clamd or PostgreSQL unavailable",
  },
];

for (const engine of ENGINES) {
  describe(`upload scanning with clamd (${engine.name})`, { skip: engine.skip }, () => {
    let clamd: TestClamd;
    let server: TestServer;
    let cleanup: () => Promise<void>;
    let alice: AuthResult;
    let bob: AuthResult;

    before(async () => {
      clamd = await TestClamd.start();
      const opened = engine.open();
      cleanup = opened.cleanup;
      server = await startTestServer({ ...opened.config, ...clamd.serverConfig(), maxUploadBytes: 8 * 1024 * 1024 });
      [alice, bob] = await Promise.all([register(server), register(server)]);
    });
    after(async () => {
      await server?.close();
      await cleanup?.();
      await clamd?.stop();
    });

    it("stores a clean file as scanned: no unscanned flag, attachable and downloadable", async () => {
      const before = await scrapeMetrics(server);
      const bytes = Buffer.from("%PDF-1.4\n% clean report\n%%EOF\n");
      const file = await uploadFile(server, alice.accessToken, "report.pdf", bytes);
      assert.equal(file.unscanned, undefined);
      assert.equal(file.mimeType, "application/pdf");
      const after = await scrapeMetrics(server);
      assert.equal(
        metric(after, 'parley_upload_scans_total{result="clean"}') - metric(before, 'parley_upload_scans_total{result="clean"}'),
        1,
      );
      assert.equal(metric(after, 'parley_scanner_up{scanner="clamd"}'), 1);
      assert.equal(metric(after, "parley_upload_scan_seconds_count") - metric(before, "parley_upload_scan_seconds_count"), 1);

      const a = await connectVia("ws", server, alice.accessToken);
      try {
        const direct = (await a.request("conversations.openDirect", { userId: bob.user.id })).id;
        await a.request("messages.send", { conversationId: direct, clientId: "clean", body: "", attachments: [file.id] });
        const signed = await http(server, "POST", "/v1/files/sign", { uploadIds: [file.id] }, bob.accessToken);
        const res = await fetch(server.url + signed.body.files[0].url);
        assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
      } finally {
        await a.close();
      }
    });

    it("refuses a file with a known signature: 422 upload_infected naming it, nothing stored", async () => {
      const blobsBefore = blobFiles(server);
      const before = await scrapeMetrics(server);
      for (const [bytes, signature] of [
        [infected(), TEST_MARKER_SIGNATURE],
        [Buffer.from(EICAR_TEST_FILE), EICAR_SIGNATURE],
      ] as const) {
        const res = await uploadRaw(server, alice.accessToken, "harmless.txt", bytes, "text/plain");
        assert.equal(res.status, 422);
        assert.equal(res.body.error.code, "upload_infected");
        assert.equal(res.body.error.retryable, false);
        assert.equal(res.body.error.details.signature, signature);
      }
      assert.deepEqual(blobFiles(server), blobsBefore, "no blob was stored");
      assert.deepEqual(tmpFiles(server), [], "the spooled copy was removed");
      const after = await scrapeMetrics(server);
      const delta = (key: string) => metric(after, key) - metric(before, key);
      assert.equal(delta('parley_upload_scans_total{result="infected"}'), 2);
      assert.equal(delta('parley_uploads_rejected_total{code="upload_infected"}'), 2);
      assert.equal(delta('parley_uploads_total{kind="file"}'), 0, "no upload was recorded");
    });

    it("streams a large file to clamd: a signature after 6 MB is found", async () => {
      const res = await uploadRaw(server, alice.accessToken, "big.txt", infected(6 * 1024 * 1024), "text/plain");
      assert.equal(res.status, 422);
      assert.equal(res.body.error.code, "upload_infected");
      assert.deepEqual(tmpFiles(server), []);
    });

    it("reports the scanner in readiness without leaving rotation over it", async () => {
      const ready = await http(server, "GET", "/readyz");
      assert.equal(ready.status, 200);
      assert.equal(ready.body.checks.scanner, "ok");
    });

    it("with clamd down, refuses uploads as unavailable (the default policy) and says so in readiness and metrics", async () => {
      const down = await TestClamd.start();
      const opened = engine.open();
      const refusing = await startTestServer({ ...opened.config, ...down.serverConfig() });
      try {
        const user = await register(refusing);
        await uploadFile(refusing, user.accessToken, "before.txt", Buffer.from("while clamd runs"));
        await down.stop();
        const blobsBefore = blobFiles(refusing);
        const res = await uploadRaw(refusing, user.accessToken, "during.txt", Buffer.from("while clamd is down"), "text/plain");
        assert.equal(res.status, 503);
        assert.equal(res.body.error.code, "unavailable");
        assert.equal(res.body.error.retryable, true);
        assert.equal(res.body.error.details.service, "scanner");
        assert.deepEqual(blobFiles(refusing), blobsBefore, "nothing stored");

        const ready = await http(refusing, "GET", "/readyz");
        assert.equal(ready.status, 200, "uploads alone do not take the node out of rotation");
        assert.equal(ready.body.checks.store, "ok");
        assert.match(ready.body.checks.scanner, /clamd at .*\(uploads refused\)$/);
        const m = await scrapeMetrics(refusing);
        assert.equal(metric(m, 'parley_scanner_up{scanner="clamd"}'), 0);
        assert.equal(metric(m, 'parley_upload_scans_total{result="error"}'), 1);
        assert.equal(metric(m, 'parley_upload_scan_errors_total{reason="unavailable"}'), 1);
        assert.equal(metric(m, 'parley_uploads_rejected_total{code="unavailable"}'), 1);
        assert.equal(metric(m, "parley_uploads_unscanned_total"), 0);
      } finally {
        await refusing.close();
        await opened.cleanup();
        await down.stop();
      }
    });

    it("with clamd down and PARLEY_SCAN_ON_FAILURE=flag, accepts uploads marked unscanned, for the recipients too", async () => {
      const down = await TestClamd.start();
      const opened = engine.open();
      const flagging = await startTestServer({ ...opened.config, ...down.serverConfig(), scanOnFailure: "flag" });
      try {
        const [carol, dave] = await Promise.all([register(flagging), register(flagging)]);
        // A verdict still counts: only the absence of one is flagged.
        const refused = await uploadRaw(flagging, carol.accessToken, "bad.txt", infected(), "text/plain");
        assert.equal(refused.body.error.code, "upload_infected");
        await down.stop();

        const bytes = Buffer.from("while clamd is down\n");
        const file = await uploadFile(flagging, carol.accessToken, "notes.txt", bytes, "text/plain");
        assert.equal(file.unscanned, true);
        const c = await connectVia("ws", flagging, carol.accessToken);
        const d = await connectVia("long-poll", flagging, dave.accessToken);
        try {
          const direct = (await c.request("conversations.openDirect", { userId: dave.user.id })).id;
          await c.request("messages.send", { conversationId: direct, clientId: "u1", body: "", attachments: [file.id] });
          const { messages } = (await d.request("messages.history", { conversationId: direct })) as { messages: Message[] };
          const shared = messages.find((m) => m.attachments.length > 0);
          assert.deepEqual(
            shared?.attachments.map((a) => [a.id, a.unscanned]),
            [[file.id, true]],
          );
        } finally {
          await c.close();
          await d.close();
        }
        const signed = await http(flagging, "POST", "/v1/files/sign", { uploadIds: [file.id] }, dave.accessToken);
        assert.deepEqual(Buffer.from(await (await fetch(flagging.url + signed.body.files[0].url)).arrayBuffer()), bytes);

        const ready = await http(flagging, "GET", "/readyz");
        assert.equal(ready.status, 200);
        assert.match(ready.body.checks.scanner, /\(uploads accepted unscanned\)$/);
        const m = await scrapeMetrics(flagging);
        assert.equal(metric(m, "parley_uploads_unscanned_total"), 1);
        assert.equal(metric(m, 'parley_upload_scan_errors_total{reason="unavailable"}'), 1);
        assert.equal(metric(m, 'parley_upload_scans_total{result="infected"}'), 1);
        assert.equal(metric(m, 'parley_scanner_up{scanner="clamd"}'), 0);
      } finally {
        await flagging.close();
        await opened.cleanup();
        await down.stop();
      }
    });
  });
}

describe("upload scanning: files over clamd's StreamMaxLength", { skip: clamdAvailable ? false : "clamd unavailable" }, () => {
  let clamd: TestClamd;
  before(async () => {
    clamd = await TestClamd.start({ streamMaxLength: "1M" });
  });
  after(() => clamd?.stop());

  for (const policy of ["refuse", "flag"] as const) {
    it(`${policy}: ${policy === "refuse" ? "refused as upload_too_large (413)" : "accepted and marked unscanned"}`, async () => {
      const server = await startTestServer({ ...clamd.serverConfig(), scanOnFailure: policy, maxUploadBytes: 4 * 1024 * 1024 });
      try {
        const user = await register(server);
        const big = Buffer.alloc(1536 * 1024, "b");
        const res = await uploadRaw(server, user.accessToken, "big.txt", big, "text/plain");
        if (policy === "refuse") {
          assert.equal(res.status, 413);
          assert.equal(res.body.error.code, "upload_too_large");
          assert.equal(res.body.error.details.scanner, true);
        } else {
          assert.equal(res.status, 201);
          assert.equal(res.body.unscanned, true);
        }
        const m = await scrapeMetrics(server);
        assert.equal(metric(m, 'parley_upload_scan_errors_total{reason="too_large"}'), 1);
        assert.equal(metric(m, 'parley_scanner_up{scanner="clamd"}'), 1, "the scanner is up: the file was too large for it");
        // A file under the limit is scanned as usual.
        assert.equal((await uploadFile(server, user.accessToken, "small.txt", Buffer.from("small"))).unscanned, undefined);
      } finally {
        await server.close();
      }
    });
  }
});

describe("upload scanning: direct uploads (S3) are scanned when completed", {
  skip: clamdAvailable ? false : "clamd unavailable",
}, () => {
  it("refuses an infected staged file with upload_infected, deletes the staged copy and stores no blob", async () => {
    const clamd = await TestClamd.start();
    const s3 = await TestS3.start();
    let server: TestServer | undefined;
    try {
      await s3.createBucket("scanned");
      server = await startTestServer({ ...s3.serverConfig("scanned"), ...clamd.serverConfig() });
      const user = await register(server);
      const direct = async (bytes: Buffer) => {
        const presigned = await http(
          server!,
          "POST",
          "/v1/uploads/presign",
          { name: "d.txt", size: bytes.length },
          user.accessToken,
        );
        const put = await fetch(presigned.body.url, { method: "PUT", headers: presigned.body.headers, body: bytes });
        assert.equal(put.status, 200);
        return presigned.body.uploadToken as string;
      };
      const clean = await http(
        server,
        "POST",
        "/v1/uploads/complete",
        { uploadToken: await direct(Buffer.from("fine\n")) },
        user.accessToken,
      );
      assert.equal(clean.status, 200);
      assert.equal(clean.body.unscanned, undefined);

      const bytes = infected();
      const token = await direct(bytes);
      const refused = await http(server, "POST", "/v1/uploads/complete", { uploadToken: token }, user.accessToken);
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error.code, "upload_infected");
      assert.equal(refused.body.error.details.signature, TEST_MARKER_SIGNATURE);
      const again = await http(server, "POST", "/v1/uploads/complete", { uploadToken: token }, user.accessToken);
      assert.equal(again.body.error.code, "not_found", "the staged copy was deleted");
      const blobs = await S3BlobStore.connect(s3.storeOptions("scanned"));
      try {
        assert.equal(await blobs.stat(createHash("sha256").update(bytes).digest("hex")), undefined, "no blob stored");
      } finally {
        await blobs.close();
      }
    } finally {
      await server?.close();
      await s3.close();
      await clamd.stop();
    }
  });
});

describe("upload scanning off (no PARLEY_CLAMD_ADDRESS)", () => {
  it("stores uploads unflagged, counts no scans and reports no scanner in readiness", async () => {
    const server = await startTestServer();
    try {
      const user = await register(server);
      const file = await uploadFile(server, user.accessToken, "notes.txt", infected());
      assert.equal(file.unscanned, undefined);
      const ready = await http(server, "GET", "/readyz");
      assert.equal(ready.body.checks.scanner, undefined);
      const m = await scrapeMetrics(server);
      assert.equal([...m.keys()].filter((k) => k.startsWith("parley_upload_scans_total")).length, 0);
      assert.equal([...m.keys()].filter((k) => k.startsWith("parley_scanner_up")).length, 0);
    } finally {
      await server.close();
    }
  });
});
