// Profiles as a client meets them, on both engines: profile pictures (`POST /v1/me/avatar`: cropped, resized and
// re-encoded by the server, metadata gone; served at `GET /v1/avatars/:id`; removable; bad input refused with the
// documented errors; `user.updated` reaches the people who show the user) and finding people (`users.search`).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { AuthResult, EventFrame, User } from "@parley/protocol";
import sharp from "sharp";
import { probeClusterServices } from "./cluster-harness.js";
import {
  connectVia,
  http,
  type ProtocolClient,
  ProtocolError,
  register,
  startTestCluster,
  startTestServer,
  type TestServer,
} from "./harness.js";
import { requireService } from "./services.js";

const clusterAvailable = await requireService("profiles on PostgreSQL", () => probeClusterServices({ haproxy: false }));

/** Small enough to test the size limit without megabytes of bytes (the picture limit is the smaller of the two). */
const MAX_UPLOAD = 300_000;

const ENGINES = [
  {
    name: "embedded",
    start: async () => ({ server: await startTestServer({ maxUploadBytes: MAX_UPLOAD }), close: async () => {} }),
  },
  {
    name: "PostgreSQL",
    skip: !clusterAvailable,
    start: async () => {
      const cluster = await startTestCluster({ label: "profiles", nodeIds: ["a"], config: { maxUploadBytes: MAX_UPLOAD } });
      return { server: cluster.nodes[0] as TestServer, close: () => cluster.close() };
    },
  },
];

/**
 * A 400 × 200 JPEG in four vertical bands (green, red, blue, green) with EXIF data (a GPS-like comment and a
 * copyright): its centre square is half red, half blue, with no green.
 */
async function bandedJpeg(): Promise<Buffer> {
  const width = 400;
  const height = 200;
  const raw = Buffer.alloc(width * height * 3);
  const colours = [
    [0, 200, 0],
    [220, 0, 0],
    [0, 0, 220],
    [0, 200, 0],
  ];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = colours[Math.floor(x / 100)] as [number, number, number];
      raw.set([r, g, b], (y * width + x) * 3);
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 95 })
    .withExif({ IFD0: { Copyright: "secret-owner", ImageDescription: "GPS 48.8583 2.2945" } })
    .toBuffer();
}

async function postAvatar(server: TestServer, token: string | undefined, bytes: Uint8Array, type?: string) {
  const headers: Record<string, string> = {};
  if (token) headers["authorization"] = `Bearer ${token}`;
  if (type) headers["content-type"] = type;
  const res = await fetch(`${server.url}/v1/me/avatar`, { method: "POST", headers, body: bytes });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function pixel(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [data[at]!, data[at + 1]!, data[at + 2]!];
}

const isRed = ([r, g, b]: number[]) => r! > 150 && g! < 60 && b! < 60;
const isBlue = ([r, g, b]: number[]) => b! > 150 && r! < 60 && g! < 60;

for (const engine of ENGINES) {
  describe(`profiles (${engine.name})`, { skip: engine.skip && "services unavailable" }, () => {
    let server: TestServer;
    let close: () => Promise<void>;
    let admin: AuthResult;
    let ann: AuthResult;
    let bob: AuthResult;
    let watcher: ProtocolClient;
    const tag = randomBytes(3).toString("hex");

    before(async () => {
      ({ server, close } = await engine.start());
      // The first account of a fresh server is its administrator.
      admin = await register(server, `adm${tag}`);
      ann = await register(server, `ann${tag}`);
      bob = await register(server, `bob${tag}`);
      // Bob shares a chat with Ann and follows her presence: he is someone who shows her.
      await http(server, "POST", "/v1/conversations/direct", { userId: ann.user.id }, bob.accessToken);
      watcher = await connectVia("ws", server, bob.accessToken);
      await watcher.request("presence.subscribe", { userIds: [ann.user.id] });
    });
    after(async () => {
      await watcher?.close();
      await server?.close();
      await close?.();
    });

    describe("profile pictures", () => {
      let first: User;

      it("crops the centre square, stores 256 and 96 px WebP without the original's metadata, and tells watchers", async () => {
        const original = await bandedJpeg();
        assert.ok((await sharp(original).metadata()).exif, "the test image carries EXIF");
        const res = await postAvatar(server, ann.accessToken, original, "image/jpeg");
        assert.equal(res.status, 200, JSON.stringify(res.body));
        first = res.body as User;
        assert.equal(first.id, ann.user.id);
        assert.match(first.avatarId ?? "", /^[A-Za-z0-9_-]+$/);

        const large = await fetch(`${server.url}/v1/avatars/${first.avatarId}`);
        assert.equal(large.status, 200);
        assert.equal(large.headers.get("content-type"), "image/webp");
        assert.match(large.headers.get("cache-control") ?? "", /immutable/);
        const largeBytes = Buffer.from(await large.arrayBuffer());
        const meta = await sharp(largeBytes).metadata();
        assert.deepEqual([meta.format, meta.width, meta.height], ["webp", 256, 256]);
        assert.equal(meta.exif, undefined, "no EXIF");
        assert.equal(meta.xmp, undefined, "no XMP");
        assert.equal(meta.icc, undefined, "no ICC profile");
        assert.ok(!largeBytes.includes("secret-owner") && !largeBytes.includes("48.8583"), "no trace of the metadata");
        assert.ok(isRed(await pixel(largeBytes, 8, 128)), "the left edge is the red band (centre crop, not squashed)");
        assert.ok(isBlue(await pixel(largeBytes, 247, 128)), "the right edge is the blue band");

        const small = await fetch(`${server.url}/v1/avatars/${first.avatarId}?size=small`);
        const smallMeta = await sharp(Buffer.from(await small.arrayBuffer())).metadata();
        assert.deepEqual([smallMeta.format, smallMeta.width, smallMeta.height], ["webp", 96, 96]);

        const event = await watcher.waitForEvent(
          (e: EventFrame) => e.event === "user.updated" && e.data.avatarId === first.avatarId,
        );
        assert.equal((event.data as User).username, `ann${tag}`);
        const [seen] = (await http(server, "POST", "/v1/users/lookup", { userIds: [ann.user.id] }, bob.accessToken)).body
          .users as User[];
        assert.equal(seen?.avatarId, first.avatarId, "others see the picture on the user");
      });

      it("turns the picture upright by its EXIF orientation", async () => {
        // Stored sideways (300 × 100, left half blue, right half red), shown 100 × 300 once upright.
        const raw = Buffer.alloc(300 * 100 * 3);
        for (let y = 0; y < 100; y++)
          for (let x = 0; x < 300; x++) raw.set(x < 150 ? [0, 0, 220] : [220, 0, 0], (y * 300 + x) * 3);
        const sideways = await sharp(raw, { raw: { width: 300, height: 100, channels: 3 } })
          .jpeg()
          .withMetadata({ orientation: 6 })
          .toBuffer();
        const res = await postAvatar(server, ann.accessToken, sideways);
        assert.equal(res.status, 200);
        const bytes = Buffer.from(await (await fetch(`${server.url}/v1/avatars/${res.body.avatarId}`)).arrayBuffer());
        // Orientation 6 turns the image 90° clockwise: its left (blue) becomes the top; the crop keeps the middle third.
        assert.ok(isBlue(await pixel(bytes, 128, 20)), `blue on top: ${await pixel(bytes, 128, 20)}`);
        assert.ok(isRed(await pixel(bytes, 128, 235)), `red at the bottom: ${await pixel(bytes, 128, 235)}`);
        assert.equal((await sharp(bytes).metadata()).orientation, undefined, "no orientation left to apply");
      });

      it("refuses what is not an image, a wrong declared type, an empty body and a file over the limit", async () => {
        const before = (await http(server, "GET", "/v1/me", undefined, ann.accessToken)).body as User;
        const text = await postAvatar(server, ann.accessToken, Buffer.from("just some words"));
        assert.equal(text.status, 415);
        assert.equal(text.body.error.code, "unsupported_media_type");
        assert.equal(text.body.error.details.mimeType, "text/plain; charset=utf-8");
        const svg = await postAvatar(server, ann.accessToken, Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'));
        assert.deepEqual([svg.status, svg.body.error.code], [415, "unsupported_media_type"]);
        const lying = await postAvatar(server, ann.accessToken, Buffer.from("%PDF-1.4\n%%EOF\n"), "image/png");
        assert.deepEqual([lying.status, lying.body.error.code], [415, "content_type_mismatch"]);
        const empty = await postAvatar(server, ann.accessToken, new Uint8Array());
        assert.deepEqual([empty.status, empty.body.error.code], [400, "empty_upload"]);
        const broken = await postAvatar(server, ann.accessToken, (await bandedJpeg()).subarray(0, 400));
        assert.deepEqual([broken.status, broken.body.error.code], [415, "unsupported_media_type"]);
        const big = await postAvatar(server, ann.accessToken, randomBytes(MAX_UPLOAD + 1), "image/png");
        assert.deepEqual([big.status, big.body.error.code, big.body.error.details.limit], [413, "upload_too_large", MAX_UPLOAD]);
        const anonymous = await postAvatar(server, undefined, await bandedJpeg());
        assert.equal(anonymous.status, 401);
        const after = (await http(server, "GET", "/v1/me", undefined, ann.accessToken)).body as User;
        assert.equal(after.avatarId, before.avatarId, "nothing changed");
      });

      it("serves only current pictures, by id; removing one announces the change", async () => {
        const current = ((await http(server, "GET", "/v1/me", undefined, ann.accessToken)).body as User).avatarId;
        assert.notEqual(current, first.avatarId, "a new upload is a new id");
        assert.equal((await fetch(`${server.url}/v1/avatars/${first.avatarId}`)).status, 404, "the replaced one is gone");
        assert.equal((await fetch(`${server.url}/v1/avatars/${current}?size=huge`)).status, 400);
        const removed = await http(server, "DELETE", "/v1/me/avatar", undefined, ann.accessToken);
        assert.equal(removed.status, 200);
        assert.equal(removed.body.avatarId, undefined);
        assert.equal((await fetch(`${server.url}/v1/avatars/${current}`)).status, 404);
        await watcher.waitForEvent(
          (e: EventFrame) => e.event === "user.updated" && e.data.id === ann.user.id && !e.data.avatarId,
        );
        assert.equal((await http(server, "DELETE", "/v1/me/avatar", undefined, ann.accessToken)).status, 200, "idempotent");
      });

      it("announces a new display name the same way", async () => {
        await http(server, "PATCH", "/v1/me", { displayName: "Ann Renamed" }, ann.accessToken);
        await watcher.waitForEvent((e: EventFrame) => e.event === "user.updated" && e.data.displayName === "Ann Renamed");
      });
    });

    describe("finding people", () => {
      let carl: AuthResult;
      let dora: AuthResult;
      let eve: AuthResult;
      let gone: AuthResult;

      before(async () => {
        carl = await register(server, `carl${tag}`);
        dora = await register(server, `dora${tag}`);
        eve = await register(server, `eve${tag}`);
        gone = await register(server, `gone${tag}`);
        await http(server, "PATCH", "/v1/me", { displayName: `Dora Findme${tag}` }, dora.accessToken);
        const off = await http(server, "POST", `/v1/admin/users/${gone.user.id}/deactivate`, {}, admin.accessToken);
        assert.equal(off.status, 200, JSON.stringify(off.body));
      });

      const usernames = (users: User[]) => users.map((u) => u.username);

      it("matches part of a username or a display name, pages by username, leaves out the caller", async () => {
        const res = await http(server, "GET", `/v1/users/search?query=${tag}`, undefined, carl.accessToken);
        assert.equal(res.status, 200);
        assert.deepEqual(usernames(res.body.users), [`adm${tag}`, `ann${tag}`, `bob${tag}`, `dora${tag}`, `eve${tag}`]);
        assert.equal(res.body.next, null);
        const byName = await http(
          server,
          "GET",
          `/v1/users/search?query=${encodeURIComponent(`@findme${tag}`)}`,
          undefined,
          carl.accessToken,
        );
        assert.deepEqual(usernames(byName.body.users), [`dora${tag}`], "display name, any case, leading @ ignored");
        const page1 = await http(server, "GET", `/v1/users/search?query=${tag}&limit=2`, undefined, carl.accessToken);
        assert.deepEqual([usernames(page1.body.users), page1.body.next], [[`adm${tag}`, `ann${tag}`], `ann${tag}`]);
        const page2 = await http(
          server,
          "GET",
          `/v1/users/search?query=${tag}&limit=2&after=${page1.body.next}`,
          undefined,
          carl.accessToken,
        );
        assert.deepEqual(usernames(page2.body.users), [`bob${tag}`, `dora${tag}`]);
      });

      it("never lists deactivated accounts, nor users blocked either way", async () => {
        await http(server, "PUT", `/v1/blocks/${dora.user.id}`, {}, eve.accessToken);
        const live = await connectVia("ws", server, eve.accessToken);
        try {
          const seen = await live.request("users.search", { query: tag });
          assert.deepEqual(usernames(seen.users), [`adm${tag}`, `ann${tag}`, `bob${tag}`, `carl${tag}`], "no dora, no gone");
          const theirs = await http(server, "GET", `/v1/users/search?query=${tag}`, undefined, dora.accessToken);
          assert.ok(!usernames(theirs.body.users).includes(`eve${tag}`), "the blocked user does not find the blocker");
        } finally {
          await live.close();
          await http(server, "DELETE", `/v1/blocks/${dora.user.id}`, undefined, eve.accessToken);
        }
      });

      it("refuses a query with nothing to look for", async () => {
        const live = await connectVia("ws", server, carl.accessToken);
        try {
          await assert.rejects(live.request("users.search", { query: "  @ " }), (error: unknown) => {
            assert.ok(error instanceof ProtocolError);
            assert.equal(error.error.code, "validation_failed");
            assert.equal(error.error.details?.["field"], "query");
            return true;
          });
          const long = await http(server, "GET", `/v1/users/search?query=${"a".repeat(65)}`, undefined, carl.accessToken);
          assert.equal(long.body.error.code, "validation_failed");
        } finally {
          await live.close();
        }
      });
    });
  });
}

describe("users.search rate limit", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ rateSearch: { capacity: 2, windowMs: 60_000 } });
  });
  after(() => server.close());

  it("shares the search budget", async () => {
    const me = await register(server);
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await http(server, "GET", "/v1/users/search?query=x", undefined, me.accessToken)).status);
    assert.deepEqual(statuses, [200, 200, 429]);
    const last = await http(server, "GET", "/v1/users/search?query=x", undefined, me.accessToken);
    assert.equal(last.body.error.details.limit, "search");
  });
});

describe("profile pictures and the upload sweeper", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ uploadTtlMs: 1000, uploadSweepIntervalMs: 0 });
  });
  after(() => server.close());

  it("keeps the current picture however old, and deletes a replaced one like any unshared upload", async () => {
    const me = await register(server);
    const first = (await postAvatar(server, me.accessToken, await bandedJpeg())).body as User;
    const second = (
      await postAvatar(
        server,
        me.accessToken,
        await sharp(await bandedJpeg())
          .flop()
          .toBuffer(),
      )
    ).body as User;
    assert.notEqual(first.avatarId, second.avatarId);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.deepEqual(await server.services.media.sweep(), { uploads: 1, blobs: 0 }, "only the replaced picture");
    assert.equal((await fetch(`${server.url}/v1/avatars/${second.avatarId}?size=small`)).status, 200);
    await http(server, "DELETE", "/v1/me/avatar", undefined, me.accessToken);
    assert.deepEqual(await server.services.media.sweep(), { uploads: 1, blobs: 0 }, "a removed picture goes too");
  });
});
