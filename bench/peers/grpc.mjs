/** @grpc/grpc-js on a `unix:` address: unary calls multiplexed over one HTTP/2 channel. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const definition = protoLoader.loadSync(fileURLToPath(new URL('./bench.proto', import.meta.url)), { keepCase: true });
const { Bench } = grpc.loadPackageDefinition(definition).bench;
const address = (dir) => `unix:${join(dir, 'grpc.sock')}`;
const LIMITS = { 'grpc.max_receive_message_length': 64 << 20, 'grpc.max_send_message_length': 64 << 20 };

export async function serve({ dir }) {
  const server = new grpc.Server(LIMITS);
  server.addService(Bench.service, {
    Add: (call, callback) => callback(null, { sum: call.request.a + call.request.b }),
    Echo: (call, callback) => callback(null, { data: call.request.data }),
  });
  await new Promise((resolve, reject) =>
    server.bindAsync(address(dir), grpc.ServerCredentials.createInsecure(), (error) => (error ? reject(error) : resolve())),
  );
  return { close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
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
