/** Starts real nats-servers (one, one with a config file, or a cluster of them) on free loopback ports for one test, and stops them afterwards. */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { until } from './until.js';

export interface NatsServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything it logged so far. */
  log(): string;
}

/** A nats-server with `args` (e.g. `['-c', config]`), listening for clients on a free loopback port. */
export async function spawnNatsServer(t: Pick<TestContext, 'after'>, args: string[] = []): Promise<NatsServerProcess> {
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    child.kill('SIGKILL');
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${log}`)), 10_000);
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /Listening for client connections on ([\d.]+):(\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(`nats://${match[1]}:${match[2]}`);
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run nats-server (apt-get install nats-server): ${error.message}`));
    });
  });
  return { url, child, log: () => log };
}

export async function startNatsServer(t: Pick<TestContext, 'after'>): Promise<string> {
  return (await spawnNatsServer(t)).url;
}

/** A nats-server started with this configuration file's text (written in `dir`). */
export async function startConfiguredNatsServer(t: Pick<TestContext, 'after'>, dir: string, config: string): Promise<NatsServerProcess> {
  const file = join(dir, `nats-${Math.random().toString(36).slice(2)}.conf`);
  writeFileSync(file, config);
  return spawnNatsServer(t, ['-c', file]);
}

/** A free loopback TCP port (free a moment ago). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `size` nats-servers routed to each other on loopback ports, once every route is up. */
export async function startNatsCluster(t: Pick<TestContext, 'after'>, dir: string, size = 3): Promise<NatsServerProcess[]> {
  const routePorts = await Promise.all(Array.from({ length: size }, freePort));
  const servers = await Promise.all(
    routePorts.map((port, i) => {
      const routes = routePorts.filter((_, j) => j !== i).map((p) => `nats-route://127.0.0.1:${p}`);
      return startConfiguredNatsServer(
        t,
        dir,
        `server_name: n${i}\ncluster {\n  name: lip\n  listen: 127.0.0.1:${port}\n  routes: [${routes.join(', ')}]\n}\n`,
      );
    }),
  );
  // Each server logs a route to each of the others once they found each other.
  await until(() => servers.every((s) => (s.log().match(/Route connection created/g)?.length ?? 0) >= size - 1), 15_000);
  return servers;
}
