// Which HTTP connections have a request in flight, so that shutdown can close the others without cutting an answer.

import type { Server } from "node:http";
import { Server as HttpsServer } from "node:https";
import type { Socket } from "node:net";

/**
 * Node's `closeIdleConnections` leaves alone a connection that never sent a request (a client's spare keep-alive
 * socket, say), and one whose last answer was still being written when closing started: either held shutdown until
 * its idle timeout, a minute. This tracker knows every connection and its requests in flight.
 */
export class HttpConnections {
  private readonly inFlight = new Map<Socket, number>();

  constructor(server: Server) {
    const accepted = server instanceof HttpsServer ? "secureConnection" : "connection";
    server.on(accepted, (socket: Socket) => {
      this.inFlight.set(socket, 0);
      socket.once("close", () => this.inFlight.delete(socket));
    });
    server.on("request", (request, response) => {
      const socket: Socket = request.socket;
      this.inFlight.set(socket, (this.inFlight.get(socket) ?? 0) + 1);
      response.once("close", () => {
        const count = this.inFlight.get(socket);
        if (count !== undefined) this.inFlight.set(socket, count - 1);
      });
    });
    // An upgraded socket belongs to the WebSocket gateway, which closes it with 1001.
    server.on("upgrade", (request) => this.inFlight.delete(request.socket));
  }

  /** Destroys every connection with no request in flight. */
  closeUnused(): void {
    for (const [socket, count] of this.inFlight) if (count === 0) socket.destroy();
  }
}
