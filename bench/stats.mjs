// Latency percentiles and table printing for the benchmarks.
export function percentiles(values) {
  if (values.length === 0) return { n: 0, p50: NaN, p95: NaN, p99: NaN, max: NaN };
  const s = Float64Array.from(values).sort();
  const at = (q) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { n: s.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: s[s.length - 1] };
}

export function table(rows) {
  const cols = Object.keys(rows[0]);
  const cells = rows.map((r) => cols.map((c) => fmt(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (vals) => `| ${vals.map((v, i) => v.padEnd(widths[i])).join(" | ")} |`;
  return [line(cols), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...cells.map(line)].join("\n");
}

function fmt(v) {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toFixed(2);
  return String(v);
}
