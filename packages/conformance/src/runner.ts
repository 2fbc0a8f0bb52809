// Runs the suite against one deployment: sets up its users, runs the cases a few at a time, and reports each result.

import type { Case } from "./case.js";
import { type CaseResult, type ConformanceOptions, Ctx } from "./context.js";
import { Skip } from "./expect.js";
import { CASES, PENDING_SERVER_FIXES } from "./registry.js";

export interface ConformanceReport {
  url: string;
  results: CaseResult[];
  /** Cases that failed (not counting expected failures): a conforming server has none. */
  failed: CaseResult[];
}

async function runCase(ctx: Ctx, c: Case): Promise<CaseResult> {
  const started = Date.now();
  const pending = PENDING_SERVER_FIXES.includes(c.id);
  try {
    await c.run(ctx);
    return { id: c.id, status: pending ? "unexpected-pass" : "pass", ms: Date.now() - started };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    if (error instanceof Skip) return { id: c.id, status: "skip", detail, ms: Date.now() - started };
    return { id: c.id, status: pending ? "expected-fail" : "fail", detail, ms: Date.now() - started };
  }
}

export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const ctx = new Ctx(options);
  const selected = CASES.filter((c) => !options.filter?.length || options.filter.some((f) => c.id.includes(f)));
  const results: CaseResult[] = [];
  const record = (result: CaseResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  try {
    await ctx.setup();
  } catch (error) {
    record({
      id: "setup: register users, connect, open a conversation",
      status: "fail",
      detail: (error as Error).message,
      ms: 0,
    });
    return { url: options.url, results, failed: results };
  }
  const queue = selected.filter((c) => !c.last && !c.exclusive);
  const workers = Array.from({ length: options.concurrency ?? 6 }, async () => {
    for (let c = queue.shift(); c; c = queue.shift()) record(await runCase(ctx, c));
  });
  await Promise.all(workers);
  for (const c of selected.filter((x) => x.exclusive && !x.last)) record(await runCase(ctx, c));
  await ctx.teardown();
  for (const c of selected.filter((x) => x.last)) record(await runCase(ctx, c));
  return { url: options.url, results, failed: results.filter((r) => r.status === "fail") };
}
