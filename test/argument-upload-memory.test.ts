/**
 * 100 MiB uploaded through an async generator argument, the server in a child process: both
 * processes' memory stays bounded (credit and the socket's back-pressure, not buffering), and the
 * server reads every byte. Measured 2026-12-04 (64 KiB chunks, ~5 s): server peak RSS +33 MiB, client +34 MiB.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serveFixture } from './helpers/fixture-server.js';
import { rssOf, sampleRssPeak } from './helpers/process-memory.js';

const MiB = 1024 * 1024;

test('100 MiB uploaded through an async generator keeps both processes bounded', async (t) => {
  const { server, client } = await serveFixture(t, 'callbacks-server.ts', { client: { timeoutMs: 50_000 } });
  assert.equal(await client.callFunction('ping2'), 'pong');

  const serverPid = server.child.pid!;
  const serverStart = rssOf(serverPid);
  const clientStart = rssOf(process.pid);
  const serverPeak = sampleRssPeak(serverPid, { everyMs: 20, start: serverStart });
  const clientPeak = sampleRssPeak(process.pid, { everyMs: 20, start: clientStart });

  const chunk = 64 * 1024;
  const total = 100 * MiB;
  let pulled = 0;
  async function* source() {
    for (let sent = 0; sent < total; sent += chunk) {
      pulled++;
      yield Buffer.alloc(chunk, pulled & 0xff);
    }
  }
  const result = await client.callFunction<{ bytes: number; chunks: number }>('upload', [source()]);
  serverPeak.stop();
  clientPeak.stop();

  assert.deepEqual(result, { bytes: total, chunks: total / chunk });
  const serverGrowth = (serverPeak.peak() - serverStart) / MiB;
  const clientGrowth = (clientPeak.peak() - clientStart) / MiB;
  t.diagnostic(`server peak RSS +${serverGrowth.toFixed(1)} MiB, client +${clientGrowth.toFixed(1)} MiB`);
  assert.ok(serverGrowth < 200, `server grew ${serverGrowth.toFixed(1)} MiB`);
  assert.ok(clientGrowth < 200, `client grew ${clientGrowth.toFixed(1)} MiB`);
});
