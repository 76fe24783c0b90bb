/**
 * Faults: a server killed mid-call, a client killed mid-call, a function that
 * never returns, a server restarted under load. Every promise settles, with a
 * clear error, and nothing is mixed up.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, LIPClient, LIPConnectionError, LIPTimeoutError, isLIPError } from '../src/index.js';
import { serveFixture, startFixture } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

interface Probe {
  sockets: number;
  handles: number;
  hangStarted: number;
  hangStopped: number;
  rss: number;
}

test('the server SIGKILLed mid-call: every pending call rejects with LIPConnectionError', async (t) => {
  const { server, client } = await serveFixture(t, 'target-server.ts', { client: { timeoutMs: 0 } });
  assert.equal(await client.callFunction('add', [1, 2]), 3);
  await client.ping('sleep');
  await client.ping('hang');

  const pending = [
    ...Array.from({ length: 100 }, (_, i) => client.callFunction('sleep', [60_000, i])),
    ...Array.from({ length: 100 }, () => client.callFunction('hang')),
  ];
  const settled = pending.map((p) =>
    p.then(
      () => ({ ok: true as const, at: Date.now() }),
      (error: unknown) => ({ ok: false as const, error, at: Date.now() }),
    ),
  );
  await until(async () => (await client.callFunction<Probe>('probe')).hangStarted === 100);
  const killedAt = Date.now();
  server.child.kill('SIGKILL');
  const outcomes = await Promise.race([
    Promise.all(settled),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('calls still pending 5 s after the kill')), 5000)),
  ]);
  const slowest = Math.max(...outcomes.map((o) => o.at - killedAt));
  t.diagnostic(`all ${outcomes.length} calls settled ${slowest} ms after SIGKILL`);
  for (const outcome of outcomes) {
    assert.equal(outcome.ok, false);
    assert.ok(outcome.error instanceof LIPConnectionError, String(outcome.error));
    assert.equal(outcome.error.code, ErrorCode.Connection);
  }
});

test('a client killed mid-call: the server drops its calls, frees its handles and keeps serving', async (t) => {
  const { dir, client: observer } = await serveFixture(t, 'target-server.ts');
  await until(async () => (await observer.callFunction<Probe>('probe')).sockets > 0);
  const baseline = await observer.callFunction<Probe>('probe');

  for (let round = 0; round < 3; round++) {
    const child = await startFixture(t, 'pending-calls-client.ts', dir, { PENDING_FN: 'hang', PENDING_CALLS: '50' });
    await until(async () => (await observer.callFunction<Probe>('probe')).hangStarted === baseline.hangStarted + 50 * (round + 1));
    const during = await observer.callFunction<Probe>('probe');
    assert.ok(during.sockets > baseline.sockets, 'the client holds a connection');
    child.child.kill('SIGKILL');
    await child.exited;
    // Every running call's signal fired, and the connection is gone.
    await until(async () => {
      const now = await observer.callFunction<Probe>('probe');
      return now.hangStopped === baseline.hangStopped + 50 * (round + 1) && now.sockets === baseline.sockets && now.handles === baseline.handles;
    }, 5000);
  }
  assert.equal(await observer.callFunction('add', [20, 22]), 42);
});

test('a function that never returns: the deadline fires, its signal stops it, the server stays healthy', async (t) => {
  const { client } = await serveFixture(t, 'target-server.ts');
  const before = await client.callFunction<Probe>('probe');
  const calls = Array.from({ length: 20 }, () => client.callFunction('hang', [], {}, { timeoutMs: 300 }));
  for (const call of calls) {
    await assert.rejects(call, (e: unknown) => e instanceof LIPTimeoutError && e.code === ErrorCode.Timeout);
  }
  // The cancel reached the server and the function saw its signal.
  await until(async () => (await client.callFunction<Probe>('probe')).hangStopped === before.hangStopped + 20, 5000);
  const after = await client.callFunction<Probe>('probe');
  assert.equal(after.hangStarted, before.hangStarted + 20);
  assert.equal(await client.callFunction('add', [1, 1]), 2);
  assert.equal(await client.callFunction('sleep', [10, 'still here']), 'still here');
});

test('the server restarted under load: calls in flight fail clearly, new calls succeed with the same client', async (t) => {
  const dir = socketDir(t);
  let server = await startFixture(t, 'target-server.ts', dir);
  const client = new LIPClient({ socketDir: dir, timeoutMs: 10_000, connectTimeoutMs: 1000 });
  t.after(() => client.destroy());

  let seq = 0;
  let running = true;
  const ok: number[] = [];
  const errors = new Map<string, number>();
  const wrong: unknown[] = [];
  const worker = async () => {
    while (running) {
      const n = ++seq;
      try {
        const reply = await client.callFunction<[number, string]>('tagged', [n, `p${n}`]);
        if (reply[0] !== n || reply[1] !== `p${n}`) wrong.push(reply);
        else ok.push(n);
      } catch (error) {
        const key = isLIPError(error) ? `${error.name}/${error.code}` : String(error);
        errors.set(key, (errors.get(key) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  const workers = Array.from({ length: 16 }, worker);
  await until(() => ok.length > 500);
  const beforeCrash = ok.length;
  server.child.kill('SIGKILL');
  await server.exited;
  await until(() => errors.size > 0, 5000);
  server = await startFixture(t, 'target-server.ts', dir);
  const afterRestart = ok.length;
  await until(() => ok.length > afterRestart + 500, 10_000);
  running = false;
  await Promise.all(workers);

  t.diagnostic(`ok ${ok.length} (${beforeCrash} before the crash), errors ${JSON.stringify(Object.fromEntries(errors))}`);
  assert.deepEqual(wrong, [], 'no reply answered another request');
  assert.equal(new Set(ok).size, ok.length, 'no duplicate');
  for (const key of errors.keys()) {
    // A dropped connection, or no server for a moment (stale socket / not yet bound).
    assert.match(key, /^(LIPConnectionError\/ERR_LIP_CONNECTION|LIPNotFoundError\/ERR_LIP_NOT_FOUND)$/);
  }
  assert.equal(await client.callFunction('add', [5, 5]), 10);
});
