// Test support for the SDK's integration tests: a real Parley server in this process (temporary data directory,
// random port) with the clients that talk to it, all closed together; and the usual start of a test, new users
// signed up and connected, two of them in their direct conversation.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { User } from "@parley/protocol";
import { type Config, type ParleyServer, startParley } from "@parley/server";
import { ParleyClient, type ParleyClientOptions } from "../node.js";

/** Every test user's password. */
export const PASSWORD = "correct horse battery";

export interface TestServerOptions {
  /** Names the data directory (`parley-sdk-<label>-…`). */
  label: string;
  /** Server configuration over the defaults (silent log, per-address limits off). */
  config?: Partial<Config>;
  /** Options of every client made by `client()`, under the ones given there. */
  client?: Partial<ParleyClientOptions>;
}

export class SdkTestServer {
  readonly #clients: ParleyClient[] = [];

  private constructor(
    readonly server: ParleyServer,
    readonly dataDir: string,
    private readonly clientDefaults: Partial<ParleyClientOptions>,
  ) {}

  static async start(options: TestServerOptions): Promise<SdkTestServer> {
    const dataDir = mkdtempSync(join(tmpdir(), `parley-sdk-${options.label}-`));
    try {
      const server = await startParley({
        port: 0,
        host: "127.0.0.1",
        dataDir,
        logLevel: "silent",
        // One address registers and connects every user of a suite: the per-address limits are not what the SDK's
        // tests test (the server's own tests do), the per-user limits stay as shipped.
        rateAuthIp: null,
        rateRegisterIp: null,
        rateConnectIp: null,
        ...options.config,
      });
      return new SdkTestServer(server, dataDir, options.client ?? {});
    } catch (error) {
      rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
  }

  get url(): string {
    return this.server.url;
  }

  get wsUrl(): string {
    return this.server.wsUrl;
  }

  /** A new client of this server, closed by close(). Its background errors are dropped: tests assert where they matter. */
  client(options: Partial<ParleyClientOptions> = {}): ParleyClient {
    const client = new ParleyClient({ server: this.url, ...this.clientDefaults, ...options });
    client.on("error", () => {});
    this.#clients.push(client);
    return client;
  }

  /** Closes every client made by client(), then the server, and removes the data directory. */
  async close(): Promise<void> {
    // Everything is closed whatever fails; then the first failure is the teardown's.
    const closed = await Promise.allSettled(this.#clients.map((client) => client.close()));
    await this.server.close();
    rmSync(this.dataDir, { recursive: true, force: true });
    const failed = closed.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (failed) throw failed.reason;
  }
}

type Person = [client: ParleyClient, username: string];

/** Registers each client as a new user with PASSWORD (one after another), then connects them all at once. */
export async function signUp<People extends Person[]>(...people: People): Promise<{ [K in keyof People]: User }> {
  const users: User[] = [];
  for (const [client, username] of people) users.push(await client.register(username, PASSWORD));
  await Promise.all(people.map(([client]) => client.connect()));
  // One user per person, in order: the mapped tuple type says no more than that.
  return users as { [K in keyof People]: User };
}

/** Two new users, signed up and connected, and the direct conversation that the first one opens with the second. */
export async function directChat(first: Person, second: Person): Promise<{ id: string; users: [User, User] }> {
  const users = await signUp(first, second);
  const { id } = await first[0].openDirect(users[1].id);
  return { id, users };
}
