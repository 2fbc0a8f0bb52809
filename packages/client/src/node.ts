// Node entry point: the SDK with the `ws` package as its WebSocket (Node 20 has fetch but no WebSocket global).

import WebSocket from "ws";
import { ParleyClient as BrowserParleyClient, type ParleyClientOptions, type WebSocketConstructor } from "./index.js";

export * from "./index.js";

/** `ws` implements the browser WebSocket interface the SDK relies on; its richer types just do not say so. */
export const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;

export class ParleyClient extends BrowserParleyClient {
  constructor(options: ParleyClientOptions) {
    super({ WebSocket: NodeWebSocket, ...options });
  }
}
