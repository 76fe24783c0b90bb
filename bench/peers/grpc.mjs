/**
 * @grpc/grpc-js on a `unix:` address: unary calls multiplexed over one HTTP/2 channel; the stream
 * workloads are server-streaming calls, read as the Readable grpc-js returns (HTTP/2 flow control).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import { blobs as blobItems } from '../lib/work.mjs';

const definition = protoLoader.loadSync(fileURLToPath(new URL('./bench.proto', import.meta.url)), { keepCase: true });
const { Bench } = grpc.loadPackageDefinition(definition).bench;
const address = (dir) => `unix:${join(dir, 'grpc.sock')}`;
const LIMITS = { 'grpc.max_receive_message_length': 64 << 20, 'grpc.max_send_message_length': 64 << 20 };

export async function serve({ dir }) {
  const server = new grpc.Server(LIMITS);
  server.addService(Bench.service, {
    Add: (call, callback) => callback(null, { sum: call.request.a + call.request.b }),
    Echo: (call, callback) => callback(null, { data: call.request.data }),
    Count: (call) => pump(call, count(call.request.n)),
    Blobs: (call) => pump(call, blobs(call.request.n, call.request.bytes)),
  });
  await new Promise((resolve, reject) =>
    server.bindAsync(address(dir), grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
  );
  return { close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

async function* count(n) {
  for (let value = 0; value < n; value++) yield { value };
}

async function* blobs(n, bytes) {
  for await (const data of blobItems(n, bytes)) yield { data };
}

/** Writes a generator's messages to a server stream, waiting for 'drain' when grpc-js says its buffer is full. */
async function pump(call, messages) {
  for await (const message of messages) {
    if (call.cancelled) return;
    if (!call.write(message)) await new Promise((resolve) => call.once('drain', resolve));
  }
  call.end();
}

function client(dir, extra = {}) {
  return new Bench(address(dir), grpc.credentials.createInsecure(), { ...LIMITS, ...extra });
}

export async function connect({ dir }) {
  const c = client(dir);
  await new Promise((resolve, reject) => c.waitForReady(Date.now() + 5000, (e) => (e ? reject(e) : resolve())));
  const unary = (method, request, pick) =>
    new Promise((resolve, reject) => c[method](request, (error, reply) => (error ? reject(error) : resolve(pick(reply)))));
  return {
    call(fn, args) {
      if (fn === 'add') return unary('Add', { a: args[0], b: args[1] }, (r) => r.sum);
      if (fn === 'echo') return unary('Echo', { data: args[0] }, (r) => r.data);
      throw new Error(`grpc peer has no ${fn}`);
    },
    async *stream(fn, args) {
      const call = fn === 'count' ? c.Count({ n: args[0] }) : fn === 'blobs' ? c.Blobs({ n: args[0], bytes: args[1] }) : undefined;
      if (!call) throw new Error(`grpc peer has no stream ${fn}`);
      if (fn === 'count') for await (const message of call) yield message.value;
      else for await (const message of call) yield message.data;
    },
    close: async () => c.close(),
  };
}

export async function openIdle({ dir, n }) {
  const clients = [];
  for (let i = 0; i < n; i += 50) {
    // A local subchannel pool per client: each gets its own connection, as separate processes would.
    const batch = Array.from({ length: Math.min(50, n - i) }, () => client(dir, { 'grpc.use_local_subchannel_pool': 1 }));
    await Promise.all(batch.map((c) => new Promise((resolve, reject) => c.waitForReady(Date.now() + 10_000, (e) => (e ? reject(e) : resolve())))));
    clients.push(...batch);
  }
  return {
    close: async () =>
      clients.forEach((c) => {
        c.close();
      }),
  };
}
