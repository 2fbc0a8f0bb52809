// Composition root: reads the configuration, picks the adapters, wires services and transports, and owns shutdown.

import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { MemoryBroker } from "./adapters/memory/memory-broker.js";
import { MemoryPresenceStore } from "./adapters/memory/memory-presence-store.js";
import { SqliteStore } from "./adapters/sqlite/sqlite-store.js";
import { type Config, loadConfig } from "./config.js";
import { createLogger, type Logger } from "./logger.js";
import type { Broker } from "./ports/broker.js";
import type { PresenceStore } from "./ports/presence-store.js";
import type { Store } from "./ports/store.js";
import { createServices, type Services } from "./services/index.js";
import { createHttpApi } from "./transport/http.js";
import { WebSocketGateway, WS_PATH } from "./transport/websocket.js";

export interface ParleyServer {
  /** Base HTTP URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** WebSocket endpoint, e.g. ws://127.0.0.1:8080/v1/ws */
  wsUrl: string;
  config: Config;
  services: Services;
  log: Logger;
  /** Open WebSocket connections on this node. */
  connections(): number;
  /** Stops accepting, closes sockets with 1001, drains pending writes, closes the store. */
  close(): Promise<void>;
}

export interface Adapters {
  store: Store;
  broker: Broker;
  presence: PresenceStore;
}

/** Starts a node. `overrides` win over environment variables (tests pass port 0 and a temporary data dir). */
export async function startParley(overrides: Partial<Config> = {}, env: NodeJS.ProcessEnv = process.env): Promise<ParleyServer> {
  const config = loadConfig(env, overrides);
  const log = createLogger(config);
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const jwtSecret = config.jwtSecret ?? loadOrCreateSecret(join(dataDir, "jwt-secret"));
  const adapters: Adapters = {
    store: SqliteStore.open(join(dataDir, "parley.db"), { synchronous: config.sqliteSynchronous }),
    broker: new MemoryBroker(),
    presence: new MemoryPresenceStore(),
  };
  const services = createServices({ ...config, jwtSecret }, adapters);
  const gateway = new WebSocketGateway(config, services, adapters.broker, log);
  const http = createHttpApi(config, services, log, {
    async ready() {
      const checks: Record<string, string> = {};
      const probe = async (name: string, fn: () => Promise<void>) => {
        try {
          await fn();
          checks[name] = "ok";
        } catch (error) {
          checks[name] = (error as Error).message;
        }
      };
      await Promise.all([probe("store", () => adapters.store.ping()), probe("bus", () => adapters.broker.ping())]);
      return { ok: Object.values(checks).every((v) => v === "ok"), checks };
    },
  });
  await http.ready();
  await gateway.attach(http.server);
  await http.listen({ host: config.host, port: config.port });
  const address = http.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const shown = host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host;
  const url = `http://${shown}:${address.port}`;
  log.info({ url, dataDir }, "parley listening");

  let closing: Promise<void> | undefined;
  return {
    url,
    wsUrl: `ws://${shown}:${address.port}${WS_PATH}`,
    config,
    services,
    log,
    connections: () => gateway.registry.size,
    close() {
      closing ??= (async () => {
        await gateway.close();
        await http.close();
        await services.messages.drain();
        await services.receipts.drain();
        services.typing.close();
        services.presence.close();
        await adapters.broker.close();
        await adapters.presence.close();
        await adapters.store.close();
        log.info("parley stopped");
      })();
      return closing;
    },
  };
}

function loadOrCreateSecret(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    const secret = randomBytes(48).toString("base64url");
    writeFileSync(path, secret, { mode: 0o600 });
    return secret;
  }
}
