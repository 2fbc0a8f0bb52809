// The registry of WebSocket close codes the server uses, grouped by what a client should do next.

export type CloseAction = "reconnect" | "reauthenticate" | "stop";

export interface CloseSpec {
  readonly code: number;
  /** What a client does next: reconnect with backoff, obtain a new token first, or stop and surface the error. */
  readonly action: CloseAction;
  readonly description: string;
}

/**
 * Ranges: 1000–1999 are RFC 6455 codes; 4000–4099 reconnect with backoff; 4100–4199 refresh the token
 * (or log in again) before reconnecting; 4200–4299 do not reconnect automatically.
 */
export const CLOSE_CODES = {
  normal: { code: 1000, action: "stop", description: "Closed normally, at the client's request." },
  going_away: {
    code: 1001,
    action: "reconnect",
    description:
      "The server is shutting down or restarting, or (cluster) its event bus was interrupted and events may have been lost; reconnect (another node may answer) and sync.",
  },
  frame_too_large: { code: 1009, action: "reconnect", description: "A frame exceeded `limits.maxFrameBytes`." },
  internal_error: { code: 1011, action: "reconnect", description: "The server hit an unexpected condition." },
  slow_consumer: {
    code: 4000,
    action: "reconnect",
    description: "The client read too slowly and its send buffer passed `limits.maxBufferedBytes`; reconnect and sync.",
  },
  heartbeat_timeout: {
    code: 4001,
    action: "reconnect",
    description: "No pong or frame was received within the heartbeat timeout (long polling: no poll within the expiry time).",
  },
  hello_timeout: {
    code: 4002,
    action: "reconnect",
    description: "No `hello` frame arrived within `helloTimeoutMs` of the connection opening.",
  },
  binary_not_supported: {
    code: 4003,
    action: "reconnect",
    description: "A binary frame was received; protocol v1 frames are UTF-8 JSON text.",
  },
  unknown_session: {
    code: 4004,
    action: "reconnect",
    description:
      "Long polling: the session is unknown (expired and forgotten, wrong secret, opened on another node, or the server restarted); open a new one and sync.",
  },
  unauthorized: {
    code: 4100,
    action: "reauthenticate",
    description: "The token in `hello` (or the subprotocol) is missing, malformed or forged.",
  },
  token_expired: { code: 4101, action: "reauthenticate", description: "The access token has expired; refresh it and reconnect." },
  session_revoked: {
    code: 4102,
    action: "reauthenticate",
    description: "The device session was logged out or revoked; log in again.",
  },
  account_deactivated: {
    code: 4103,
    action: "reauthenticate",
    description:
      "An administrator deactivated the account: every session was revoked (refreshing answers `account_deactivated`; show it and sign out).",
  },
  unsupported_version: {
    code: 4200,
    action: "stop",
    description: "None of the protocol versions offered by the client is supported by the server.",
  },
  protocol_violation: {
    code: 4201,
    action: "stop",
    description: "The first frame was not a valid `hello` request, or more than 64 requests were pipelined before the welcome.",
  },
} as const satisfies Record<string, CloseSpec>;

export type CloseReason = keyof typeof CLOSE_CODES;
