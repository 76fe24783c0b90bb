/**
 * `lip serve --metrics HOST:PORT`: GET /metrics answers the Prometheus text
 * exposition of every function this process serves (one stopped meanwhile is
 * left out), read from their stats. Anything else is 404 (405 for another
 * method on /metrics); a malformed request closes only its own connection.
 * Connections are bounded (ConnectionSlots), each must send its request
 * within METRICS_REQUEST_TIMEOUT_MS and may pipeline only a few.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EXPOSITION_CONTENT_TYPE, metricsExposition, type LIPFunctionControls } from '../../index.js';
import type { MetricsAddress } from './metrics-address.js';
import { ConnectionSlots } from './metrics-connections.js';

/** Connections the endpoint holds at once (a scraper needs one or two); a new one past it replaces the oldest. */
export const METRICS_MAX_CONNECTIONS = 16;
/** Requests one connection may have waiting for their answers (pipelined); past it the connection is closed. */
export const METRICS_MAX_PIPELINED = 8;
/** How long a request's headers (and the whole request) may take to arrive. */
export const METRICS_REQUEST_TIMEOUT_MS = 5000;
/** How often Node looks for connections past that timeout (its default, 30 s, would let them stay three times as long). */
const TIMEOUT_CHECK_MS = 1000;
/** The longest request head taken: a scraper's is a few hundred bytes. */
export const METRICS_MAX_HEADER_BYTES = 8 * 1024;

export class MetricsEndpoint {
  private constructor(
    private readonly server: Server,
    /** The URL scrapers use (the port chosen when asked for port 0). */
    readonly url: string,
  ) {}

  static async start(functions: readonly LIPFunctionControls[], address: MetricsAddress): Promise<MetricsEndpoint> {
    const slots = new ConnectionSlots(METRICS_MAX_CONNECTIONS, METRICS_MAX_PIPELINED);
    const exposition = new SharedExposition(functions);
    const server = createServer(
      {
        requestTimeout: METRICS_REQUEST_TIMEOUT_MS,
        headersTimeout: METRICS_REQUEST_TIMEOUT_MS,
        connectionsCheckingInterval: TIMEOUT_CHECK_MS,
        maxHeaderSize: METRICS_MAX_HEADER_BYTES,
      },
      (request, response) => {
        if (slots.answering(response)) void answer(exposition, request, response);
      },
    );
    server.on('connection', (socket) => slots.admit(socket));
    server.keepAliveTimeout = METRICS_REQUEST_TIMEOUT_MS;
    // A client that sends its request and then half-closes (`printf 'GET /metrics…' | nc -N`) still gets
    // its answer: Node's default drops a request still being answered when the client's side ends.
    (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    // Bytes that aren't HTTP end their own connection, and nothing else; a head too large is told so first.
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      if (error.code === 'HPE_HEADER_OVERFLOW' && socket.writable && !socket.writableLength) {
        socket.end('HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        // A client that never reads the answer doesn't keep the connection.
        setTimeout(() => socket.destroy(), METRICS_REQUEST_TIMEOUT_MS).unref();
      } else socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const bound = server.address();
    const port = typeof bound === 'object' && bound ? bound.port : address.port;
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    return new MetricsEndpoint(server, `http://${host}:${port}/metrics`);
  }

  /** Stops listening and ends open connections. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/** Requests that arrive while the exposition is being written share it: a flood of them costs one exposition at a time. */
class SharedExposition {
  private pending: Promise<string> | undefined;

  constructor(private readonly functions: readonly LIPFunctionControls[]) {}

  text(): Promise<string> {
    this.pending ??= metricsExposition(this.functions.filter((fn) => fn.serving).map((fn) => fn.stats())).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }
}

async function answer(exposition: SharedExposition, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? '').split('?', 1)[0];
  if (path !== '/metrics') {
    plain(response, 404, 'not found: the metrics are at /metrics\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('Allow', 'GET, HEAD');
    plain(response, 405, 'method not allowed: GET /metrics\n');
    return;
  }
  let text: string;
  try {
    text = await exposition.text();
  } catch (error) {
    plain(response, 500, `could not write the metrics: ${(error as Error).message}\n`);
    return;
  }
  response.writeHead(200, { 'Content-Type': EXPOSITION_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text) });
  response.end(request.method === 'HEAD' ? undefined : text);
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}
