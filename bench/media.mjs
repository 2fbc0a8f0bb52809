#!/usr/bin/env node
// Upload cost on one Parley node (its own process): streamed 25 MiB files one at a time and four at once, the same
// bytes again (deduplicated), and a 12-megapixel JPEG (dimensions + thumbnail). Reports wall time, throughput and the
// server's resident memory (peak: VmHWM) to show that uploads are streamed, not buffered.
// Usage: node bench/media.mjs [--mib 25] [--runs 4]
import { fork } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { RATE_LIMITS_OFF } from "./lib/procs.mjs";
import { table } from "./stats.mjs";

const { values } = parseArgs({ options: { mib: { type: "string", default: "25" }, runs: { type: "string", default: "4" } } });
const MIB = Number(values.mib);
const RUNS = Number(values.runs);
const root = new URL("..", import.meta.url).pathname;

const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-media-"));
const child = fork(join(root, "bench", "parley-node.mjs"), [], {
  env: {
    ...process.env,
    ...RATE_LIMITS_OFF,
    PARLEY_DATA_DIR: dataDir,
    PARLEY_PORT: "0",
    PARLEY_HOST: "127.0.0.1",
    PARLEY_LOG_LEVEL: "warn",
    PARLEY_MAX_UPLOAD_BYTES: String(MIB * 1024 * 1024 + 1024),
  },
  stdio: ["ignore", "ignore", "inherit", "ipc"],
});
const port = await new Promise((resolve, reject) => {
  child.once("error", reject);
  child.on("message", (m) => m?.port && resolve(m.port));
});
const base = `http://127.0.0.1:${port}`;

/** Resident and peak resident memory of the server process, MiB. */
function memory() {
  const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

const reg = await fetch(`${base}/v1/auth/register`, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ username: `bench_${process.pid}`, password: "correct horse battery" }),
}).then((r) => r.json());
const token = reg.accessToken;

/** Streams `bytes` in 64 KiB chunks (chunked encoding, no Content-Length: the server cannot pre-size anything). */
async function upload(name, bytes) {
  let offset = 0;
  const body = new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(offset, offset + 65_536));
      offset += 65_536;
    },
  });
  const res = await fetch(`${base}/v1/uploads?name=${encodeURIComponent(name)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body,
    duplex: "half",
  });
  if (res.status !== 201) throw new Error(`${res.status} ${await res.text()}`);
  return res.json();
}

const rows = [];
const before = memory();
const files = Array.from({ length: RUNS }, () => randomBytes(MIB * 1024 * 1024));

async function scenario(label, work, bytes) {
  const start = performance.now();
  await work();
  const ms = performance.now() - start;
  const m = memory();
  rows.push({
    scenario: label,
    "wall ms": Math.round(ms),
    "MiB/s": bytes ? (((bytes / 1024 / 1024) * 1000) / ms).toFixed(0) : "",
    "server RSS MiB": m.rss.toFixed(0),
    "server peak RSS MiB": m.peak.toFixed(0),
  });
}

await scenario(
  `${RUNS} × ${MIB} MiB, one at a time`,
  async () => {
    for (const [i, f] of files.entries()) await upload(`seq-${i}.bin`, f);
  },
  RUNS * MIB * 1024 * 1024,
);
const fresh = Array.from({ length: RUNS }, () => randomBytes(MIB * 1024 * 1024));
await scenario(
  `${RUNS} × ${MIB} MiB, all at once`,
  () => Promise.all(fresh.map((f, i) => upload(`par-${i}.bin`, f))),
  RUNS * MIB * 1024 * 1024,
);
await scenario(`same ${MIB} MiB again (dedup)`, () => upload("again.bin", files[0]), MIB * 1024 * 1024);
const jpeg = await sharp({
  create: { width: 4000, height: 3000, channels: 3, noise: { type: "gaussian", mean: 128, sigma: 40 } },
})
  .jpeg({ quality: 85 })
  .toBuffer();
let image;
await scenario(`4000×3000 JPEG (${(jpeg.length / 1024 / 1024).toFixed(1)} MiB): size + thumbnail`, async () => {
  image = await upload("photo.jpg", jpeg);
});
if (image.width !== 4000 || !image.hasThumbnail) throw new Error(`unexpected image result ${JSON.stringify(image)}`);

console.log(`Parley media uploads, one node, server RSS before: ${before.rss.toFixed(0)} MiB (peak ${before.peak.toFixed(0)})`);
console.log(table(rows));
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
rmSync(dataDir, { recursive: true, force: true });
