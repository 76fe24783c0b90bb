/**
 * The connections the metrics endpoint holds, at most a fixed number. A new
 * connection past the bound takes the place of the oldest one that has never
 * sent a whole request (a slowloris trickling its headers), else of the
 * oldest idle keep-alive, so connections that never finish a request can't
 * keep a scraper out, nor push out the connection a scraper keeps open; and
 * a new scraper, answered within milliseconds of connecting, is never the oldest.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export class ConnectionSlots {
  /** In the order they came: the first is the oldest. */
  private readonly open = new Set<Socket>();
  /** Requests being answered on a connection (more than one when they are pipelined). */
  private readonly inProgress = new Map<Socket, number>();
  /** Connections that sent at least one whole request. */
  private readonly served = new Set<Socket>();

  constructor(
    private readonly max: number,
    /** Requests one connection may have unanswered at once (pipelined): a scraper sends one at a time. */
    private readonly maxPipelined: number,
  ) {}

  /** Holds `socket`, closing the oldest connection when every slot is taken. */
  admit(socket: Socket): void {
    if (this.open.size >= this.max) this.oldest()?.destroy();
    this.open.add(socket);
    socket.once('close', () => {
      this.open.delete(socket);
      this.inProgress.delete(socket);
      this.served.delete(socket);
    });
  }

  /**
   * `response`'s connection is being answered until the response is sent or cut. A connection
   * past `maxPipelined` unanswered requests is closed instead (false): each would hold its answer.
   */
  answering(response: ServerResponse): boolean {
    const socket = response.req.socket;
    const pending = (this.inProgress.get(socket) ?? 0) + 1;
    if (pending > this.maxPipelined) {
      socket.destroy();
      return false;
    }
    this.served.add(socket);
    this.inProgress.set(socket, pending);
    response.once('close', () => {
      const left = (this.inProgress.get(socket) ?? 1) - 1;
      if (left > 0) this.inProgress.set(socket, left);
      else this.inProgress.delete(socket);
    });
    return true;
  }

  get size(): number {
    return this.open.size;
  }

  /** The oldest connection that never sent a request, else the oldest not being answered, else the oldest. */
  private oldest(): Socket | undefined {
    for (const socket of this.open) if (!this.served.has(socket)) return socket;
    for (const socket of this.open) if (!this.inProgress.has(socket)) return socket;
    return this.open.values().next().value;
  }
}
