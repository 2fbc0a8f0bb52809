// The full fault run (`npm run faults`, scripts/faults.mjs): every scenario (or those whose name contains `only`) on
// one rig and deployment, one line per scenario and the Markdown table printed, the table written into
// docs/reliability.md on request; resolves with the rows and whether all of them kept every promise.

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { violations } from "./checker.js";
import { probeNetworkRig } from "./rig/netns.js";
import { Rig } from "./rig/rig.js";
import { type ClientSlot, markdownTable, type RigClient, type Row, runScenario } from "./runner.js";
import { SCENARIOS } from "./scenarios.js";

const DOC = fileURLToPath(new URL("../../../../../docs/reliability.md", import.meta.url));
const BEGIN = "<!-- faults:begin -->";
const END = "<!-- faults:end -->";

export interface FullRunOptions {
  only?: string;
  writeDocs?: boolean;
  clients?: (slot: ClientSlot) => RigClient | undefined;
  /** What the clients are, for the document (e.g. "raw WebSocket and long-poll clients, two SDK clients"). */
  clientsDescription?: string;
}

export async function runFaults(options: FullRunOptions = {}): Promise<{ rows: Row[]; ok: boolean }> {
  const selected = SCENARIOS.filter((s) => options.only === undefined || s.name.includes(options.only));
  if (selected.length === 0) throw new Error(`no scenario matches "${options.only}"`);
  await probeNetworkRig();
  const started = Date.now();
  const rig = await Rig.start();
  const rows: Row[] = [];
  try {
    const deployment = await rig.deploy();
    try {
      for (const scenario of selected) {
        console.log(`▶ ${scenario.name}`);
        rows.push(
          await runScenario(deployment, scenario, {
            log: (line) => console.log(line),
            ...(options.clients ? { clients: options.clients } : {}),
          }),
        );
      }
    } finally {
      await deployment.stop();
    }
  } finally {
    await rig.destroy();
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  const table = markdownTable(rows);
  console.log(`\n${table}\n\n${rows.length} scenarios in ${seconds} s`);
  if (options.writeDocs) {
    const doc = readFileSync(DOC, "utf8");
    const from = doc.indexOf(BEGIN);
    const to = doc.indexOf(END);
    if (from < 0 || to < from) throw new Error(`${DOC} has no ${BEGIN} … ${END} block`);
    const stamp = `Run of ${new Date().toISOString().slice(0, 10)}: ${rows.length} scenarios in ${seconds} s${options.clientsDescription ? `; clients: ${options.clientsDescription}` : ""}.`;
    writeFileSync(DOC, `${doc.slice(0, from + BEGIN.length)}\n${stamp}\n\n${table}\n${doc.slice(to)}`);
    console.log(`wrote ${DOC}`);
  }
  return { rows, ok: rows.every((r) => violations(r.verdict) === 0 && r.convergedMs !== undefined) };
}
