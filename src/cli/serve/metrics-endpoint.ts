/**
 * `lip serve --metrics HOST:PORT`: GET /metrics answers the Prometheus text
 * exposition of every function this process serves, read from their stats.
 * Anything else is 404 (405 for another method on /metrics); a malformed
 * request closes only its own connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { EXPOSITION_CONTENT_TYPE, metricsExposition, type LIPFunctionControls } from '../../index.js';
import type { MetricsAddress } from './metrics-address.js';

/** Connections the endpoint holds at once: a scraper needs one or two. */
export const METRICS_MAX_CONNECTIONS = 16;
/** How long a request's headers (and the whole request) may take to arrive. */
export const METRICS_REQUEST_TIMEOUT_MS = 10_000;

export class MetricsEndpoint {
  private constructor(
    private readonly server: Server,
    /** The URL scrapers use (the port chosen when asked for port 0). */
    readonly url: string,
  ) {}

  static async start(functions: readonly LIPFunctionControls[], address: MetricsAddress): Promise<MetricsEndpoint> {
    const server = createServer({ requestTimeout: METRICS_REQUEST_TIMEOUT_MS, headersTimeout: METRICS_REQUEST_TIMEOUT_MS }, (request, response) => {
      void answer(functions, request, response);
    });
    server.maxConnections = METRICS_MAX_CONNECTIONS;
    server.keepAliveTimeout = METRICS_REQUEST_TIMEOUT_MS;
    // Bytes that aren't HTTP end their own connection, and nothing else.
    server.on('clientError', (_error, socket) => socket.destroy());
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

async function answer(functions: readonly LIPFunctionControls[], request: IncomingMessage, response: ServerResponse): Promise<void> {
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
    text = await metricsExposition(functions.map((fn) => fn.stats()));
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
