// Integration: the SDK's transport choice against a real server: falling back to long polling when WebSockets cannot
// connect, chatting that way, and moving back to a WebSocket once one works, each message once and in order.

import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import type { WebSocketConstructor } from "./connection.js";
import { NodeWebSocket, type ParleyClientOptions } from "./node.js";
import { waitUntil } from "./testing/client-events.js";
import { directChat, SdkTestServer } from "./testing/real-server.js";

/** A transport switch takes a few probes: every wait here gets 8 s. */
const waitFor = (what: string, predicate: () => boolean) => waitUntil(what, predicate, 8000);

/** A port nothing listens on: WebSocket attempts to it are refused at once. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function bodies(seen: Message[], prefix: string): string[] {
  return seen.filter((m) => m.body?.startsWith(prefix)).map((m) => m.body!);
}

describe("SDK transport choice", () => {
  let server: SdkTestServer;
  let deadUrl: string;
  let n = 0;

  /** Registers a user with `options` and a partner on plain WebSockets, both connected, and their conversation. */
  async function pair(options: Partial<ParleyClientOptions>) {
    const me = server.client(options);
    const other = server.client({ transport: "websocket" });
    n++;
    const mine: Message[] = [];
    const theirs: Message[] = [];
    me.on("message", (m) => mine.push(m));
    other.on("message", (m) => theirs.push(m));
    const { id } = await directChat([me, `tme${n}_${process.pid % 1000}`], [other, `tother${n}_${process.pid % 1000}`]);
    return { me, other, id, mine, theirs };
  }

  before(async () => {
    server = await SdkTestServer.start({
      label: "transport",
      client: { gapWaitMs: 100, receiptDelayMs: 20, reconnectBackoff: { initialMs: 50, maxMs: 200 } },
    });
    deadUrl = `ws://127.0.0.1:${await closedPort()}/v1/ws`;
  });

  after(async () => {
    await server.close();
  });

  it("falls back to long polling when WebSockets cannot connect, and chats the same way", async () => {
    const { me, other, id, mine, theirs } = await pair({ wsUrl: deadUrl });
    assert.equal(me.transport, "long-poll");
    assert.equal(other.transport, "websocket");
    const ack = await me.send(id, "lp: hello");
    await waitFor("delivery to the WebSocket user", () => bodies(theirs, "lp:").length === 1);
    await other.send(id, "lp: hi back");
    await waitFor("delivery to the long-poll user", () => bodies(mine, "lp:").length === 2);
    assert.deepEqual(bodies(mine, "lp:"), ["lp: hello", "lp: hi back"]);
    await waitFor("delivered receipt over long polling", () => me.messageStatus(id, ack.seq).delivered === 1);
    const typing = new Promise((resolve) => other.on("typing", (t) => t.typing && resolve(t)));
    me.setTyping(id, true);
    await typing;
  });

  it("falls back when the server refuses the upgrade (a proxy that blocks WebSockets)", async () => {
    const refused = `${server.wsUrl.replace(/\/v1\/ws$/, "")}/blocked-by-proxy`;
    const { me, other, id, mine } = await pair({ wsUrl: refused, longPoll: { fallbackAfter: 3 } });
    assert.equal(me.transport, "long-poll");
    await other.send(id, "proxy: through");
    await waitFor("delivery", () => bodies(mine, "proxy:").length === 1);
  });

  it("uses long polling at once when no WebSocket exists (or constructing one throws)", async () => {
    let constructed = 0;
    const Throwing = function Throwing() {
      constructed++;
      throw new Error("WebSockets are disabled by policy");
    } as unknown as WebSocketConstructor;
    const { me } = await pair({ WebSocket: Throwing });
    assert.equal(me.transport, "long-poll");
    assert.equal(constructed, 1, "one refusal is enough");
  });

  it("transport: long-poll never opens a WebSocket; transport: websocket never long-polls", async () => {
    let constructed = 0;
    const Counting = function Counting(url: string, protocols?: string | string[]) {
      constructed++;
      return new NodeWebSocket(url, protocols);
    } as unknown as WebSocketConstructor;
    const { me } = await pair({ transport: "long-poll", WebSocket: Counting, longPoll: { retryWebSocketMs: 50 } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(me.transport, "long-poll");
    assert.equal(constructed, 0);
    const stubborn = server.client({ transport: "websocket", wsUrl: deadUrl });
    await stubborn.register(`stubborn_${process.pid % 1000}`, "correct horse battery");
    void stubborn.connect().catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(stubborn.state, "reconnecting");
    assert.equal(stubborn.transport, undefined);
  });

  it("moves back to a WebSocket once one works again, without losing or repeating a message", async () => {
    let blocked = true;
    const Switchable = function Switchable(url: string, protocols?: string | string[]) {
      return new NodeWebSocket(blocked ? deadUrl : url, protocols);
    } as unknown as WebSocketConstructor;
    const { me, other, id, mine } = await pair({ WebSocket: Switchable, longPoll: { retryWebSocketMs: 300 } });
    assert.equal(me.transport, "long-poll");
    // A steady stream from the partner while the network heals and the client switches underneath.
    let sent = 0;
    const stream = setInterval(() => void other.send(id, `heal: ${sent++}`), 20);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(me.transport, "long-poll", "the probe failed while WebSockets were blocked");
    blocked = false;
    await waitFor("the switch to a WebSocket", () => me.transport === "websocket");
    await new Promise((resolve) => setTimeout(resolve, 200));
    clearInterval(stream);
    await other.flush();
    await waitFor("every message", () => bodies(mine, "heal:").length === sent);
    assert.deepEqual(
      bodies(mine, "heal:"),
      Array.from({ length: sent }, (_, i) => `heal: ${i}`),
    );
    const seqs = mine.filter((m) => m.conversationId === id).map((m) => m.seq);
    assert.deepEqual(
      seqs,
      [...new Set(seqs)].sort((a, b) => a - b),
      "each seq once, in order",
    );
  });
});
