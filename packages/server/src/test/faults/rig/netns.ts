// The rig's network: one namespace per host (nodes, PostgreSQL, Redis, the load balancer) joined by veth links to a
// bridge in a switch namespace, a veth from the root namespace for the clients, and the faults the switch applies
// (partitions with nftables, latency/jitter/loss with the packet shaper). Everything is removed again by `destroy`,
// also from an `exit` handler, and namespaces left by a run that was killed are removed at the next start.

import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** Namespaces and the root-side veth are named `pfr<pid>…`: unique per run, and a stale run's pid is dead. */
const PREFIX = "pfr";
/** The shaper is not compiled: it runs from the sources next to this file's source. */
const SHAPER = fileURLToPath(new URL("../../../../src/test/faults/rig/shaper.py", import.meta.url));

export async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await exec(cmd, args, { timeout: 20_000 });
    return stdout;
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")}: ${(e.stderr || e.message).trim()}`);
  }
}

/** What the kernel and the machine must offer; throws naming the first thing missing. */
export async function probeNetworkRig(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error("the fault rig needs root (network namespaces)");
  for (const [bin, args] of [
    ["ip", ["-V"]],
    ["nft", ["--version"]],
    ["ethtool", ["--version"]],
    ["python3", ["--version"]],
    ["haproxy", ["-v"]],
    ["redis-server", ["--version"]],
    ["setpriv", ["--version"]],
    [`${PG_BIN}/postgres`, ["--version"]],
  ] as const) {
    await sh(bin, [...args]);
  }
  const probe = `${PREFIX}probe${process.pid}`;
  try {
    await sh("ip", ["netns", "add", probe]);
    await sh("ip", ["netns", "exec", probe, "ip", "link", "add", "name", "a", "type", "veth", "peer", "name", "b"]);
    await sh("ip", ["netns", "exec", probe, "ip", "link", "add", "name", "br", "type", "bridge"]);
    await sh("ip", ["netns", "exec", probe, "nft", "add", "table", "bridge", "probe"]);
  } finally {
    await sh("ip", ["netns", "del", probe]).catch(() => undefined);
  }
}

export const PG_BIN = "/usr/lib/postgresql/15/bin";

export type HostName = string;

interface Host {
  name: HostName;
  ns: string;
  address: string;
  /** The switch-side end of the host's veth (a bridge port, unless shaped). */
  port: string;
}

interface Shaping {
  child: ChildProcess;
  description: string;
}

export interface ShapeOptions {
  delayMs: number;
  jitterMs: number;
  lossPercent: number;
}

/** Removes namespaces (and their veths) left behind by runs whose process is gone. */
export function removeStaleNamespaces(): void {
  const live = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  let names: string[] = [];
  try {
    names = readdirSync("/run/netns");
  } catch {
    return;
  }
  for (const name of names) {
    const match = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (match && !live(Number(match[1]))) execFileSync("ip", ["netns", "del", name], { stdio: "ignore" });
  }
}

export class Network {
  private readonly hosts = new Map<HostName, Host>();
  private readonly shaped = new Map<HostName, Shaping>();
  private readonly switchNs: string;
  private readonly hostVeth: string;
  private destroyed = false;
  /** Active partitions, `from>to`, as the nft rules the switch holds. */
  private readonly partitions = new Set<string>();

  private constructor(
    private readonly run: string,
    /** The /24 of the rig, e.g. `10.231.7`. */
    readonly subnet: string,
  ) {
    this.switchNs = `${run}-sw`;
    this.hostVeth = run;
  }

  /** The root namespace's address on the rig's network (where the clients are). */
  get clientAddress(): string {
    return `${this.subnet}.254`;
  }

  /** Creates the switch namespace with its bridge and nftables table, and the clients' veth from the root namespace. */
  static async create(): Promise<Network> {
    removeStaleNamespaces();
    const routes = await sh("ip", ["-4", "route"]);
    let third = process.pid % 200;
    while (routes.includes(`10.231.${third}.`)) third = (third + 1) % 250;
    const net = new Network(`${PREFIX}${process.pid}`, `10.231.${third}`);
    NETWORKS.add(net);
    try {
      const sw = net.switchNs;
      await sh("ip", ["netns", "add", sw]);
      await net.inNs(sw, "ip", ["link", "set", "dev", "lo", "up"]);
      await net.inNs(sw, "ip", ["link", "add", "name", "br0", "type", "bridge"]);
      await net.inNs(sw, "ip", ["link", "set", "dev", "br0", "up"]);
      await net.inNs(sw, "nft", [
        "add table bridge faults; add chain bridge faults forward { type filter hook forward priority 0; policy accept; }",
      ]);
      await sh("ip", ["link", "add", "name", net.hostVeth, "type", "veth", "peer", "name", "host", "netns", sw]);
      await sh("ip", ["addr", "add", `${net.clientAddress}/24`, "dev", net.hostVeth]);
      await sh("ip", ["link", "set", "dev", net.hostVeth, "up"]);
      await net.plainLink("root", net.hostVeth);
      await net.inNs(sw, "ip", ["link", "set", "dev", "host", "master", "br0", "up"]);
      await net.plainLink(sw, "host");
    } catch (error) {
      net.destroy();
      throw error;
    }
    return net;
  }

  /** A namespace `name` on the bridge with address `.<lastOctet>`; returns its address. */
  async addHost(name: HostName, lastOctet: number): Promise<string> {
    const ns = `${this.run}-${name}`;
    const address = `${this.subnet}.${lastOctet}`;
    const port = name;
    await sh("ip", ["netns", "add", ns]);
    this.hosts.set(name, { name, ns, address, port });
    await this.inNs(ns, "ip", ["link", "set", "dev", "lo", "up"]);
    await this.inNs(ns, "sysctl", ["-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"]);
    await this.inNs(this.switchNs, "ip", ["link", "add", "name", port, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    await this.inNs(this.switchNs, "ip", ["link", "set", "dev", port, "master", "br0", "up"]);
    await this.plainLink(this.switchNs, port);
    await this.inNs(ns, "ip", ["addr", "add", `${address}/24`, "dev", "eth0"]);
    await this.inNs(ns, "ip", ["link", "set", "dev", "eth0", "up"]);
    await this.plainLink(ns, "eth0");
    return address;
  }

  host(name: HostName): Host {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no host ${name} in the rig`);
    return host;
  }

  /** The command line that runs `cmd` inside host `name`'s namespace. */
  exec(name: HostName, cmd: string, args: string[]): [string, string[]] {
    return ["ip", ["netns", "exec", this.host(name).ns, cmd, ...args]];
  }

  /**
   * Drops every packet from `from` to `to` at the switch (and back too unless `oneWay`): established connections
   * stall as on a real network, nothing is reset. `"clients"` names the root namespace.
   */
  async partition(from: HostName, to: HostName, options: { oneWay?: boolean } = {}): Promise<void> {
    const pairs: [HostName, HostName][] = options.oneWay
      ? [[from, to]]
      : [
          [from, to],
          [to, from],
        ];
    for (const [a, b] of pairs) {
      const key = `${a}>${b}`;
      if (this.partitions.has(key)) continue;
      await this.inNs(this.switchNs, "nft", [
        `add rule bridge faults forward ip saddr ${this.addressOf(a)} ip daddr ${this.addressOf(b)} counter drop`,
      ]);
      this.partitions.add(key);
    }
  }

  /** Removes every partition. */
  async heal(): Promise<void> {
    await this.inNs(this.switchNs, "nft", ["flush chain bridge faults forward"]);
    this.partitions.clear();
  }

  /**
   * Puts the shaper between host `name` and the bridge: each packet either way is delayed by `delayMs ± jitterMs`
   * (uniform, so packets can overtake each other) and dropped with probability `lossPercent` %. The kernel of this
   * machine has no sch_netem; the shaper does in user space what `tc qdisc add … netem delay … loss …` would.
   */
  async shape(name: HostName, options: ShapeOptions): Promise<void> {
    if (this.shaped.has(name)) throw new Error(`${name} is already shaped`);
    const { port } = this.host(name);
    const sw = this.switchNs;
    await this.inNs(sw, "ip", ["link", "set", "dev", port, "nomaster"]);
    await this.inNs(sw, "ip", ["link", "add", "name", `${port}s`, "type", "veth", "peer", "name", `${port}b`]);
    await this.inNs(sw, "ip", ["link", "set", "dev", `${port}b`, "master", "br0", "up"]);
    await this.inNs(sw, "ip", ["link", "set", "dev", `${port}s`, "up"]);
    for (const dev of [port, `${port}s`, `${port}b`]) await this.plainLink(sw, dev);
    for (const dev of [port, `${port}s`]) await this.inNs(sw, "ip", ["link", "set", "dev", dev, "promisc", "on"]);
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        sw,
        "python3",
        SHAPER,
        port,
        `${port}s`,
        String(options.delayMs),
        String(options.jitterMs),
        String(options.lossPercent / 100),
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const started = await Promise.race([
      new Promise<boolean>((resolve) => child.once("exit", () => resolve(false))),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 300)),
    ]);
    if (!started) throw new Error(`the shaper exited: ${stderr}`);
    this.shaped.set(name, {
      child,
      description: `${options.delayMs}±${options.jitterMs} ms, ${options.lossPercent} % loss`,
    });
  }

  /** Takes the shaper out again: host `name` is plugged straight into the bridge. */
  async unshape(name: HostName): Promise<void> {
    const shaping = this.shaped.get(name);
    if (!shaping) return;
    this.shaped.delete(name);
    const exited = new Promise((resolve) => shaping.child.once("exit", resolve));
    shaping.child.kill("SIGKILL");
    await exited;
    const { port } = this.host(name);
    await this.inNs(this.switchNs, "ip", ["link", "del", "dev", `${port}s`]);
    await this.inNs(this.switchNs, "ip", ["link", "set", "dev", port, "promisc", "off"]);
    await this.inNs(this.switchNs, "ip", ["link", "set", "dev", port, "master", "br0"]);
  }

  /** Deletes every namespace of the rig (their veths go with them) and stops the shapers; idempotent, synchronous. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    NETWORKS.delete(this);
    for (const s of this.shaped.values()) s.child.kill("SIGKILL");
    this.shaped.clear();
    for (const host of this.hosts.values()) execFileSync("ip", ["netns", "del", host.ns], { stdio: "ignore" });
    try {
      execFileSync("ip", ["netns", "del", this.switchNs], { stdio: "ignore" });
    } catch {
      // Never created (a failed start): nothing to delete.
    }
    try {
      execFileSync("ip", ["link", "del", "dev", this.hostVeth], { stdio: "ignore" });
    } catch {
      // Gone with the switch namespace, as expected: a veth dies with its peer.
    }
  }

  private addressOf(name: HostName): string {
    return name === "clients" ? this.clientAddress : this.host(name).address;
  }

  private inNs(ns: string, cmd: string, args: string[]): Promise<string> {
    return sh("ip", ["netns", "exec", ns, cmd, ...args]);
  }

  /**
   * Turns off checksum and segmentation offloads: the shaper forwards frames as the kernel hands them over, so they
   * must be complete (checksummed, at most one MTU) on every link.
   */
  private async plainLink(ns: string, dev: string): Promise<void> {
    const args = ["-K", dev, "tx", "off", "rx", "off", "tso", "off", "gso", "off", "gro", "off"];
    await (ns === "root" ? sh("ethtool", args) : this.inNs(ns, "ethtool", args));
  }
}

const NETWORKS = new Set<Network>();
process.once("exit", () => {
  for (const net of NETWORKS) net.destroy();
});
