// Gate for tests that need a real service (PostgreSQL, Redis, haproxy): skip with a visible line, or fail in CI.

/**
 * Runs `probe`; resolves true when the service answers. When it does not, prints `SKIP <name>: <reason>` and resolves
 * false, unless PARLEY_REQUIRE_SERVICES=1 (set by `.ci/run`), in which case it throws so the suite fails.
 */
export async function requireService(name: string, probe: () => Promise<unknown>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (process.env["PARLEY_REQUIRE_SERVICES"] === "1") {
      throw new Error(`${name} is required (PARLEY_REQUIRE_SERVICES=1) but unavailable: ${reason}`);
    }
    console.log(`SKIP ${name}: ${reason} (set PARLEY_REQUIRE_SERVICES=1 to fail instead)`);
    return false;
  }
}
