// A WebSocket for the SDK that follows the browser's network status: when the browser reports it went offline, live
// sockets are treated as dropped at once (instead of after two silent heartbeat intervals), and no new socket is
// attempted until it is back online. The SDK then shows "reconnecting", queues sends, and syncs after reconnecting.

import type { WebSocketConstructor, WebSocketLike } from "@parley/client";

const CONNECTING = 0;
const CLOSED = 3;
/** RFC 6455 "abnormal closure": the code a real network cut produces. */
const ABNORMAL = 1006;

export interface NetworkAwareSockets {
  /** Pass as `WebSocket` to ParleyClient. */
  readonly WebSocket: WebSocketConstructor;
  /** Drops every live socket as if the network had cut it. */
  dropAll(reason: string): void;
  readonly size: number;
}

export function networkAwareSockets(
  Native: WebSocketConstructor,
  isOnline: () => boolean,
  defer: (fn: () => void) => void = (fn) => setTimeout(fn, 0),
): NetworkAwareSockets {
  const live = new Set<ManagedSocket>();

  class ManagedSocket implements WebSocketLike {
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    #native: WebSocketLike | undefined;
    #done = false;

    constructor(url: string, protocols?: string | string[]) {
      if (!isOnline()) {
        defer(() => this.#finish(ABNORMAL, "offline"));
        return;
      }
      const native = new Native(url, protocols);
      this.#native = native;
      live.add(this);
      native.onopen = (event) => this.onopen?.(event);
      native.onmessage = (event) => this.onmessage?.(event);
      native.onerror = (event) => this.onerror?.(event);
      native.onclose = (event) => this.#finish(event.code, event.reason);
    }

    get readyState(): number {
      if (this.#done) return CLOSED;
      return this.#native?.readyState ?? CONNECTING;
    }

    send(data: string): void {
      if (!this.#native || this.#done) throw new Error("The socket is closed");
      this.#native.send(data);
    }

    close(code?: number, reason?: string): void {
      this.#native?.close(code, reason);
    }

    drop(reason: string): void {
      if (this.#done) return;
      const native = this.#native;
      if (native) {
        native.onopen = null;
        native.onmessage = null;
        native.onclose = null;
        try {
          native.close(1000, reason);
        } catch {
          // A browser refuses a reason over 123 UTF-8 bytes: the socket is closed without one rather than left open.
          native.close(1000);
        }
      }
      defer(() => this.#finish(ABNORMAL, reason));
    }

    #finish(code: number, reason: string): void {
      if (this.#done) return;
      this.#done = true;
      live.delete(this);
      this.onclose?.({ code, reason });
    }
  }

  return {
    WebSocket: ManagedSocket,
    dropAll(reason) {
      for (const socket of [...live]) socket.drop(reason);
    },
    get size() {
      return live.size;
    },
  };
}
