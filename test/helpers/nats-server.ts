/** Starts a real nats-server on a free loopback port for one test, and stops it afterwards. */
import { spawn } from 'node:child_process';
import type { TestContext } from 'node:test';

export async function startNatsServer(t: TestContext): Promise<string> {
  const server = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    server.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${log}`)), 10_000);
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      const match = /Listening for client connections on ([\d.]+):(\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(`nats://${match[1]}:${match[2]}`);
      }
    };
    server.stdout.on('data', read);
    server.stderr.on('data', read);
    server.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run nats-server (apt-get install nats-server): ${error.message}`));
    });
  });
}
