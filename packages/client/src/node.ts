// Node entry point: the SDK with the `ws` package as its WebSocket (Node 20 has fetch but no WebSocket global).

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import WebSocket from "ws";
import {
  type Attachment,
  ParleyClient as BrowserParleyClient,
  type ParleyClientOptions,
  type UploadOptions,
  type WebSocketConstructor,
} from "./index.js";

export { FileMlsStateStore } from "./e2ee/file-state-store.js";
export * from "./index.js";

/** `ws` implements the browser WebSocket interface the SDK relies on; its richer types just do not say so. */
export const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;

export class ParleyClient extends BrowserParleyClient {
  constructor(options: ParleyClientOptions) {
    super({ WebSocket: NodeWebSocket, ...options });
  }

  /** Uploads the file at `path`, streamed from disk; the name defaults to the file's base name. */
  async uploadFile(path: string, options: Partial<UploadOptions> = {}): Promise<Attachment> {
    const { size } = await stat(path);
    const stream = createReadStream(path) as unknown as AsyncIterable<Uint8Array>;
    return this.upload(stream, { name: basename(path), size, ...options });
  }
}
