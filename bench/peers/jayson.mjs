/**
 * jayson: JSON-RPC 2.0 over HTTP on a Unix socket path, keep-alive agent.
 * One connection means one socket in the agent (HTTP/1.1 has no multiplexing,
 * so calls in flight queue on it). Binary travels as base64, as JSON needs.
 */
import http from 'node:http';
import { join } from 'node:path';
import jayson from 'jayson';

const path = (dir) => join(dir, 'jayson.sock');

export async function serve({ dir }) {
  const server = jayson
    .server({
      add: (args, callback) => callback(null, args[0] + args[1]),
      echo: (args, callback) => callback(null, args[0]),
    })
    .http();
  await new Promise((resolve, reject) => server.once('error', reject).listen(path(dir), resolve));
  return {
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(resolve);
      }),
  };
}

export async function connect({ dir, sockets = 1 }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  const client = jayson.client.http({ socketPath: path(dir), agent });
  const request = (method, params) =>
    new Promise((resolve, reject) =>
      client.request(method, params, (error, response) => {
        if (error) return reject(error);
        if (response.error) return reject(new Error(response.error.message));
        resolve(response.result);
      }),
    );
  return {
    async call(fn, args) {
      if (fn === 'echo') return Buffer.from(await request('echo', [args[0].toString('base64')]), 'base64');
      return request(fn, args);
    },
    close: async () => agent.destroy(),
  };
}

export async function openIdle({ dir, n }) {
  const agents = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
    await Promise.all(
      batch.map(
        (agent) =>
          new Promise((resolve, reject) => jayson.client.http({ socketPath: path(dir), agent }).request('add', [1, 2], (e) => (e ? reject(e) : resolve()))),
      ),
    );
    agents.push(...batch);
  }
  return {
    close: async () =>
      agents.forEach((a) => {
        a.destroy();
      }),
  };
}
