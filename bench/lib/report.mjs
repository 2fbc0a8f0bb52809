// Tables for the terminal, the JSON and Markdown reports in bench/results/, and the results block of
// docs/performance.md (only the part between the bench markers is replaced; everything else in the file is kept).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

export function fmt(v) {
  if (v === undefined || v === null) return "–";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "–";
    if (!Number.isFinite(v)) return "∞";
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2);
  }
  if (typeof v === "boolean") return v ? "yes" : "no";
  return String(v).replaceAll("|", "\\|");
}

/** A Markdown table (also readable in a terminal): columns from the union of the rows' keys, in order. */
export function table(rows) {
  if (!rows || rows.length === 0) return "(no rows)";
  const cols = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const cells = rows.map((r) => cols.map((c) => fmt(r[c])));
  const numeric = cols.map((_, i) => rows.every((r, j) => typeof r[cols[i]] === "number" || cells[j][i] === "–"));
  const widths = cols.map((c, i) => Math.max(c.length, 3, ...cells.map((r) => r[i].length)));
  const pad = (v, i) => (numeric[i] ? v.padStart(widths[i]) : v.padEnd(widths[i]));
  const line = (vals) => `| ${vals.map(pad).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (numeric[i] ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(cols), rule, ...cells.map(line)].join("\n");
}

export function machineInfo(pinning) {
  let cpuModel = cpus()[0]?.model ?? "unknown";
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"));
    if (m) cpuModel = m[1].trim();
  } catch {}
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync("nproc", { encoding: "utf8" }).trim());
  } catch {}
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    if (dirty) commit += " (with uncommitted changes)";
  } catch {}
  let loadavg = "";
  try {
    loadavg = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {}
  return {
    date: new Date().toISOString(),
    nproc,
    cpuModel,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    kernel: (() => {
      try {
        return readFileSync("/proc/sys/kernel/osrelease", "utf8").trim();
      } catch {
        return "unknown";
      }
    })(),
    commit,
    loadavgAtStart: loadavg,
    pinning: pinning.detail,
  };
}

export function targetRows(results) {
  const rows = [];
  for (const r of results) {
    if (r.error) {
      rows.push({
        scenario: r.name,
        target: "(scenario failed)",
        measured: r.error.split("\n")[0].slice(0, 160),
        result: "FAIL",
      });
      continue;
    }
    for (const t of r.targets ?? []) {
      rows.push({
        scenario: r.name,
        target: t.target,
        measured: t.measured,
        result:
          (t.pass === null || t.pass === undefined ? "n/a" : t.pass ? "PASS" : "FAIL") + (t.disturbed ? " (disturbed)" : ""),
      });
    }
  }
  return rows;
}

/** The whole report as Markdown; `level` is the heading level of its sections (their subsections get one more). */
export function markdown({ machine, options, results, seconds, level = 2 }) {
  const h = (n) => "#".repeat(level + n);
  const out = [];
  out.push(
    `Run of ${machine.date} (${options.quick ? "quick smoke mode: reduced sizes, not comparable to the targets" : "full suite"}` +
      `${options.only ? `, only ${options.only.join(", ")}` : ""}), ${seconds.toFixed(0)} s in total.`,
  );
  out.push("");
  out.push(
    `Machine: ${machine.nproc} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}; ` +
      `commit ${machine.commit}; load average at start ${machine.loadavgAtStart}. Pinning: ${machine.pinning}.`,
  );
  out.push("");
  out.push(`${h(0)} Targets`);
  out.push("");
  out.push(table(targetRows(results)));
  for (const r of results) {
    out.push("");
    out.push(`${h(0)} ${r.title}`);
    if (r.error) {
      out.push("");
      out.push(`Failed: \`${r.error.split("\n")[0]}\``);
      continue;
    }
    for (const s of r.sections ?? []) {
      out.push("");
      out.push(`${h(1)} ${s.heading}`);
      out.push("");
      if (s.rows) out.push(table(s.rows));
      for (const n of s.notes ?? []) out.push(`\n${n}`);
    }
  }
  return out.join("\n");
}

const START = "<!-- bench:results:start (generated by `npm run bench`; edit outside these markers) -->";
const END = "<!-- bench:results:end -->";

const REPRODUCE = `## Benchmark suite

\`npm run bench\` (bench/run.mjs) measures Parley against two baselines it starts itself: a bare \`ws\` relay (no
storage, no authentication) and a Socket.IO relay with the same storage as Parley (SQLite in WAL mode, a
per-conversation seq, a unique (sender, client id) index, one committed transaction per message). Every server and
every load generator is its own process, pinned with \`taskset\` (servers on CPU 0, generators on CPU 1) when
possible; all traffic is on loopback; the load is open-loop at fixed rates; latency is measured from the sender's clock
to the recipient's receipt on the same machine clock. Each run writes \`bench/results/bench-<date>.{json,md}\`
(git-ignored) and replaces the block below.

How to reproduce:

\`\`\`sh
npm run build
npm run bench                        # full suite, 10–15 minutes on 2 cores (more while it waits for a busy machine)
npm run bench:quick                  # smoke mode, about a minute (reduced sizes, numbers not comparable)
node bench/run.mjs --only throughput,latency --seconds 5
\`\`\`

Options: \`--quick\`, \`--only <throughput,latency,fanout,memory,storm,cluster>\`, \`--seconds N\` (per load step),
\`--no-profile\`, \`--no-docs\` / \`--docs\` (whether this file is updated; by default only a full run of all
scenarios updates it). Cluster runs need PostgreSQL and Redis (\`PARLEY_TEST_DATABASE_URL\`,
\`PARLEY_TEST_REDIS_URL\`, defaults \`postgres://postgres@127.0.0.1:5432/test\` and \`redis://127.0.0.1:6379\`).
Other processes on the machine (builds, tests) disturb the numbers: run it on an otherwise idle machine.
`;

/** Replaces the generated block of docs/performance.md (creating the file or the section when missing). */
export function updatePerformanceDoc(file, md) {
  const block = `${START}\n\n${md}\n\n${END}`;
  let text;
  if (!existsSync(file)) {
    text = `# Performance\n\nWhat was measured, on which machine, and how to measure it again.\n\n${REPRODUCE}\n### Latest results\n\n${block}\n`;
  } else {
    text = readFileSync(file, "utf8");
    const a = text.indexOf(START.slice(0, 30));
    const b = text.indexOf(END);
    if (a >= 0 && b > a) text = text.slice(0, a) + block + text.slice(b + END.length);
    else text = `${text.replace(/\s*$/, "")}\n\n${REPRODUCE}\n### Latest results\n\n${block}\n`;
  }
  writeFileSync(file, text);
}
