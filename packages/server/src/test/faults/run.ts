// `npm run faults`: the full fault run (every scenario), or some (`-- --only <substring>`); prints one line per
// scenario and the Markdown table, writes the table into docs/reliability.md with `--write-docs`, and exits 1 when
// any scenario found a violation or did not converge.

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { violations } from "./checker.js";
import { probeNetworkRig } from "./rig/netns.js";
import { Rig } from "./rig/rig.js";
import { markdownTable, type Row, runScenario, SCENARIOS } from "./scenarios.js";

const DOC = fileURLToPath(new URL("../../../../../docs/reliability.md", import.meta.url));
const BEGIN = "<!-- faults:begin -->";
const END = "<!-- faults:end -->";

const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const selected = SCENARIOS.filter((s) => only === undefined || s.name.includes(only));

await probeNetworkRig();
const started = Date.now();
const rig = await Rig.start();
const rows: Row[] = [];
try {
  const deployment = await rig.deploy();
  try {
    for (const scenario of selected) {
      console.log(`▶ ${scenario.name}`);
      rows.push(await runScenario(deployment, scenario, { log: (line) => console.log(line) }));
    }
  } finally {
    await deployment.stop();
  }
} finally {
  await rig.destroy();
}
const table = markdownTable(rows);
console.log(`\n${table}\n\n${rows.length} scenarios in ${Math.round((Date.now() - started) / 1000)} s`);

if (args.includes("--write-docs")) {
  const doc = readFileSync(DOC, "utf8");
  const from = doc.indexOf(BEGIN);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error(`${DOC} has no ${BEGIN} … ${END} block`);
  const stamp = `Run of ${new Date().toISOString().slice(0, 10)}, ${rows.length} scenarios in ${Math.round((Date.now() - started) / 1000)} s.`;
  writeFileSync(DOC, `${doc.slice(0, from + BEGIN.length)}\n${stamp}\n\n${table}\n${doc.slice(to)}`);
  console.log(`wrote ${DOC}`);
}
const failed = rows.filter((r) => violations(r.verdict) > 0 || r.convergedMs === undefined);
process.exit(failed.length > 0 ? 1 : 0);
