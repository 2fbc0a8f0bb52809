// A load-generator process: runs the generator-side functions of scenario modules (`generator[fn](args)`) on the
// orchestrator's request and answers with their results. Its state (open connections) lives in those modules.
import { serveStats } from "./child.mjs";

serveStats();
process.on("message", async (m) => {
  if (m?.cmd !== "call") return;
  try {
    const mod = await import(new URL(`../${m.module}`, import.meta.url).href);
    const fn = mod.generator?.[m.fn];
    if (typeof fn !== "function") throw new Error(`${m.module} has no generator.${m.fn}`);
    const result = await fn(m.args ?? {});
    process.send({ reply: m.id, result: result ?? null });
  } catch (error) {
    process.send({ reply: m.id, error: error?.stack ?? String(error) });
  }
});
// A connection that fails outside any awaited call must not kill the generator; the scenario counts it instead.
process.on("uncaughtException", (error) => process.stderr.write(`generator: uncaught ${error?.stack ?? error}\n`));
process.send({ ready: true });
