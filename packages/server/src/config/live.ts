// Live sessions (WebSocket and long polling) and the ephemeral state they carry: frames, buffers, heartbeats, typing, presence, receipts.

import { bool, type ConfigVars, int } from "./parse.js";

export interface LiveConfig {
  maxFrameBytes: number;
  maxBufferedBytes: number;
  heartbeatIntervalMs: number;
  helloTimeoutMs: number;
  wsCompression: boolean;
  /** Long polling: how long a poll with nothing to deliver is held open before it is answered empty. */
  longPollHoldMs: number;
  /** Long polling: a session with no poll for this long is closed like a WebSocket that missed its heartbeats. */
  longPollExpiryMs: number;
  typingTimeoutMs: number;
  presenceGraceMs: number;
  receiptFlushMs: number;
}

export const LIVE_VARS: ConfigVars<LiveConfig> = {
  maxFrameBytes: {
    env: "PARLEY_MAX_FRAME_BYTES",
    default: 65_536,
    description: "Largest WebSocket frame a client may send; larger closes the connection (1009).",
    parse: int(1024, 16_777_216),
  },
  maxBufferedBytes: {
    env: "PARLEY_MAX_BUFFERED_BYTES",
    default: 1_048_576,
    description: "Per-connection send buffer; a client that lets it fill is disconnected as a slow consumer (4000).",
    parse: int(1024, 268_435_456),
  },
  heartbeatIntervalMs: {
    env: "PARLEY_HEARTBEAT_INTERVAL_MS",
    default: 25_000,
    description: "Interval of server pings; a connection that answers none between two pings is closed (4001).",
    parse: int(100, 600_000),
  },
  helloTimeoutMs: {
    env: "PARLEY_HELLO_TIMEOUT_MS",
    default: 10_000,
    description: "Time a new WebSocket has to send `hello` (4002).",
    parse: int(100, 600_000),
  },
  wsCompression: {
    env: "PARLEY_WS_COMPRESSION",
    default: false,
    description: "Offer permessage-deflate on WebSockets (costs memory per connection).",
    parse: bool,
  },
  longPollHoldMs: {
    env: "PARLEY_LONG_POLL_HOLD_MS",
    default: 25_000,
    description: "Long polling: how long a poll waits for frames before it is answered empty.",
    parse: int(100, 120_000),
  },
  longPollExpiryMs: {
    env: "PARLEY_LONG_POLL_EXPIRY_MS",
    default: 45_000,
    description: "Long polling: a session that sends no poll for this long is closed (4001) and its user's devices counted down.",
    parse: int(100, 600_000),
  },
  typingTimeoutMs: {
    env: "PARLEY_TYPING_TIMEOUT_MS",
    default: 6000,
    description: "A typing indicator not refreshed for this long stops by itself.",
    parse: int(100, 60_000),
  },
  presenceGraceMs: {
    env: "PARLEY_PRESENCE_GRACE_MS",
    default: 5000,
    description: "Delay before a user whose last device disconnected is announced offline.",
    parse: int(0, 600_000),
  },
  receiptFlushMs: {
    env: "PARLEY_RECEIPT_FLUSH_MS",
    default: 50,
    description: "Receipts are written and announced in batches at most this often.",
    parse: int(0, 10_000),
  },
};
