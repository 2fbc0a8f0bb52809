// Generator side of the memory scenario: opens many idle authenticated connections (Parley: hello with one of the
// pool's access tokens, many connections sharing a user's device session; ws relay: {hello: name}), spread over
// several loopback source addresses so that 50,000 connections fit in the ephemeral port range.
import { openMany, ParleyConnection } from "./parley-client.mjs";
import { connectWsRelay } from "./relay-clients.mjs";

let state;

export const generator = {
  /** Opens connections until `target` are open in total. */
  async grow({ kind, wsUrl, users, target, addresses, compression = false, concurrency = 256 }) {
    state ??= { conns: [], failures: [], kind };
    const have = state.conns.length;
    const want = Math.max(0, target - have);
    const started = performance.now();
    const { conns, failures } = await openMany(
      want,
      (k) => {
        const i = have + k;
        const localAddress = addresses[i % addresses.length];
        return kind === "parley"
          ? ParleyConnection.connect(wsUrl, {
              token: users[i % users.length].token,
              localAddress,
              compression,
              timeoutMs: 30_000,
            })
          : connectWsRelay(wsUrl, `idle${i}`, { localAddress, timeoutMs: 30_000 });
      },
      { concurrency },
    );
    for (const c of conns) if (c) state.conns.push(c);
    state.failures.push(...failures);
    const seconds = (performance.now() - started) / 1000;
    return {
      open: state.conns.length,
      opened: want - failures.length,
      failed: failures.length,
      firstFailure: failures[0],
      seconds,
      perSecond: (want - failures.length) / seconds,
      memory: process.memoryUsage().rss,
    };
  },

  /** How many of the opened connections are still open (none should have been closed by the server). */
  status() {
    if (!state) return { open: 0, closed: 0 };
    let closed = 0;
    for (const c of state.conns) if (c.closed) closed++;
    return { open: state.conns.length - closed, closed };
  },

  /** Drops everything at once (no closing handshakes). */
  async close() {
    if (!state) return {};
    for (const c of state.conns) c.terminate();
    state = undefined;
    return {};
  },
};
