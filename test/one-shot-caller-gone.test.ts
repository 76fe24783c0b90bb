/**
 * A Python one-shot caller (bare CBOR, no frames) that goes away before its reply: the server can't tell
 * a FIN from a half-close, so it writes the reply's first bytes (CBOR's self-describe tag) and learns
 * from the write. Before, such a call ran until the function ended on its own (a function waiting on
 * its signal: for good), holding its concurrency slot and its connection.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { decodeValue, encodeValue } from '../src/protocol/codec.js';
import { serveFixture } from './helpers/fixture-server.js';
import { PYTHON } from './helpers/python-server.js';
import { oneShotReply } from './helpers/one-shot.js';
import { until } from './helpers/until.js';

const run = promisify(execFile);

interface Probe {
  hangStarted: number;
  hangStopped: number;
  sockets: number;
}

/** A one-shot request whose caller stays connected until the test lets it go. */
async function startOneShot(path: string, request: unknown): Promise<Socket> {
  const socket = createConnection(path);
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(encodeValue(request));
  return socket;
}

test("one-shot callers that go away before their reply: each call's signal fires, and its slot and connection are freed", async (t) => {
  const { dir, client } = await serveFixture(t, 'target-server.ts', { env: { TARGET_OPTS: JSON.stringify({ concurrency: 1 }) } });
  const probe = () => client.callFunction<Probe>('probe');
  const before = await probe();
  // One at a time: with concurrency 1 each call must have ended before the next one starts.
  for (let i = 1; i <= 5; i++) {
    const caller = await startOneShot(join(dir, 'lipcm-hang.sock'), { args: [], kwargs: {} });
    await until(async () => (await probe()).hangStarted === i, 5000);
    caller.destroy();
    await until(async () => (await probe()).hangStopped === i, 5000);
  }
  // Fifty at once: one runs, the others queue; once their callers go, none is left.
  const callers = await Promise.all(Array.from({ length: 50 }, () => startOneShot(join(dir, 'lipcm-hang.sock'), { args: [], kwargs: {} })));
  // inFlight counts the queued calls too.
  const waiting = async () => (await client.stats('hang')).inFlight;
  await until(async () => (await waiting()) === 50, 5000);
  for (const caller of callers) caller.destroy();
  await until(async () => (await waiting()) === 0, 5000);
  // The client's own connection to hang (its stats) is the one socket more than before.
  await until(async () => (await probe()).sockets <= before.sockets + 1, 5000);
  assert.equal(await client.callFunction('add', [2, 3]), 5);
});

test('a one-shot caller that half-closes and reads still gets its reply, behind the self-describe tag, as cbor2 reads it', async (t) => {
  const { dir } = await serveFixture(t, 'target-server.ts');
  const reply = await oneShotReply(join(dir, 'lipcm-sleep.sock'), { args: [300, 'late'], kwargs: {} }, { halfClose: true });
  assert.equal(reply.subarray(0, 3).toString('hex'), 'd9d9f7');
  assert.deepEqual(decodeValue(reply), { result: 'late' });
  const read = 'import sys, cbor2; print(repr(cbor2.loads(bytes.fromhex(sys.argv[1]))))';
  const { stdout } = await run(PYTHON, ['-c', read, reply.toString('hex')]);
  assert.equal(stdout.trim(), "{'result': 'late'}");
});
