/**
 * The NATS transport against a real nats-server: discovery and calls with the
 * same API, errors and deadlines, streams, the standard $SRV tooling, replicas
 * sharing the load, local versus NATS preference, and the CLI's --nats.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { LIPArgumentError, LIPBusyError, LIPClient, LIPProtocolError, LIPRemoteError, LIPTimeoutError, LIPModule } from '../src/index.js';
import { rssOf, sampleRssPeak } from './helpers/process-memory.js';
import { serveFixture, startFixture } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';
import { startNatsServer } from './helpers/nats-server.js';

test('functions served over NATS are discovered and called with the same API', async (t) => {
  const url = await startNatsServer(t);
  const { server, client } = await serveFixture(t, 'nats-replica.ts', { env: { NATS_URL: url, SOCKET: '0' }, client: { nats: url } });

  await t.test('discovery through $SRV.INFO', async () => {
    assert.deepEqual(await client.listFunctions(), ['big', 'chunks', 'explode', 'letters', 'mul', 'stall', 'where']);
  });

  await t.test('a result over the NATS max_payload is a clear error, and the server lives on', async () => {
    await assert.rejects(client.callFunction('big', [2 * 1024 * 1024]), (e: unknown) => e instanceof LIPProtocolError && /max_payload/.test(e.message));
    assert.equal(((await client.callFunction('big', [10])) as Buffer).length, 10);
  });

  await t.test('a plain call of an endless stream stops collecting at max_payload: a typed error, bounded memory', async () => {
    const start = rssOf(server.child.pid!);
    const sampler = sampleRssPeak(server.child.pid!, { everyMs: 20, start });
    t.after(() => sampler.stop());
    // NATS can't cancel a request: before, the server collected until it ran out of memory.
    await assert.rejects(
      client.callFunction('chunks', [1e9, 64 * 1024], {}, { timeoutMs: 20_000 }),
      (e: unknown) => e instanceof LIPBusyError || e instanceof LIPProtocolError,
    );
    sampler.stop();
    const grew = (sampler.peak() - start) / 2 ** 20;
    t.diagnostic(`rss grew ${grew.toFixed(1)} MiB`);
    assert.ok(grew < 128, `the server grew ${grew.toFixed(1)} MiB`);
    assert.equal(((await client.callFunction('chunks', [3, 10])) as Buffer[]).length, 3);
  });

  await t.test('calls with positional and keyword arguments', async () => {
    assert.equal(((await client.callFunction('mul', [6, 7])) as { product: number }).product, 42);
    assert.equal(((await client.callFunction('mul', [6], { b: 2 })) as { product: number }).product, 12);
  });

  await t.test('errors carry name, message and code', async () => {
    const error = (await client.callFunction('explode', ['boom']).catch((e: unknown) => e)) as LIPRemoteError;
    assert.ok(error instanceof LIPRemoteError);
    assert.equal(error.remote.name, 'RangeError');
    assert.equal(error.remote.message, 'boom');
    await assert.rejects(
      client.callFunction('mul', [], { c: 1 }),
      (e: unknown) => e instanceof LIPArgumentError && /unexpected keyword argument 'c'/.test(e.message),
    );
  });

  await t.test('deadlines', async () => {
    await assert.rejects(client.callFunction('stall', [2000], {}, { timeoutMs: 100 }), LIPTimeoutError);
  });

  await t.test('docs, describe and stats', async () => {
    assert.equal(await client.getDocstring('mul'), 'Multiplies two numbers, and says which replica did it.');
    assert.equal((await client.describe('mul')).signature, 'mul(a, b?)');
    assert.ok((await client.stats('mul')).calls >= 2);
  });

  await t.test('streams: collected by a plain call, one by one by stream()', async () => {
    assert.deepEqual(await client.callFunction('letters', ['abc']), ['a', 'b', 'c']);
    const got: string[] = [];
    for await (const letter of client.stream<string>('letters', ['xyz'])) got.push(letter);
    assert.deepEqual(got, ['x', 'y', 'z']);
  });

  await t.test('the standard NATS tooling sees each function as a service endpoint with its metadata', async () => {
    const nc = await connect({ servers: url });
    try {
      type Info = {
        type: string;
        description: string;
        version: string;
        metadata: Record<string, string>;
        endpoints: { subject: string; queue_group: string }[];
      };
      const mul = (await nc.request('$SRV.INFO.mul')).json<Info>();
      assert.equal(mul.type, 'io.nats.micro.v1.info_response');
      assert.equal(mul.metadata['lip.name'], 'mul');
      assert.equal(mul.description, 'Multiplies two numbers, and says which replica did it.');
      assert.equal(mul.metadata['lip.signature'], 'mul(a, b?)');
      assert.equal(mul.version, '0.0.0');
      assert.equal(mul.endpoints[0]?.subject, 'lip.fn.mul');
      assert.equal(mul.endpoints[0]?.queue_group, 'q');
      const stats = (await nc.request('$SRV.STATS.mul')).json<{ endpoints: { num_requests: number }[] }>();
      assert.ok((stats.endpoints[0]?.num_requests ?? 0) >= 2);
    } finally {
      await nc.close();
    }
  });
});

test('three replicas share the load; one stopped mid-load loses no call', async (t) => {
  const url = await startNatsServer(t);
  const dir = socketDir(t);
  const env = { NATS_URL: url, SOCKET: '0', DELAY_MS: '2' };
  const replicas = [
    await startFixture(t, 'nats-replica.ts', dir, env),
    await startFixture(t, 'nats-replica.ts', dir, env),
    await startFixture(t, 'nats-replica.ts', dir, env),
  ];
  const client = new LIPClient({ nats: url, socketDir: dir });
  t.after(() => client.destroy());
  await client.callFunction('mul', [1, 1]);

  const total = 3000;
  const inFlight = 32;
  const pids = new Map<number, number>();
  let next = 0;
  let stopped = false;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < total) {
      const i = next++;
      if (i === total / 3 && !stopped) {
        stopped = true;
        replicas[0]!.child.kill('SIGTERM'); // graceful: drains
      }
      try {
        const { product, pid } = (await client.callFunction('mul', [i, 3])) as { product: number; pid: number };
        assert.equal(product, 3 * i);
        pids.set(pid, (pids.get(pid) ?? 0) + 1);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  assert.deepEqual(failures, []);
  assert.equal(
    [...pids.values()].reduce((a, b) => a + b, 0),
    total,
  );
  assert.equal(pids.size, 3, `calls spread over the three replicas: ${JSON.stringify([...pids])}`);
  assert.equal(await replicas[0]!.exited, 0);
  assert.match(replicas[0]!.output(), /EXITED/);
});

test('a name served both locally and over NATS: local wins unless told otherwise', async (t) => {
  const url = await startNatsServer(t);
  const dir = socketDir(t);
  await startFixture(t, 'nats-replica.ts', dir, { NATS_URL: url, SOCKET: '0', WHERE: 'nats' });
  const where = LIPModule({ logLevel: 'silent', socketDir: dir })(function where() {
    return 'local';
  });
  await where.init();
  t.after(() => where.exit());
  const local = new LIPClient({ socketDir: dir, nats: url });
  const remote = new LIPClient({ socketDir: dir, nats: url, prefer: 'nats' });
  t.after(() => {
    local.destroy();
    remote.destroy();
  });
  assert.equal(await local.callFunction('where'), 'local');
  assert.equal(await remote.callFunction('where'), 'nats');
  assert.deepEqual(
    (await local.listFunctions()).filter((n) => n === 'where'),
    ['where'],
  );
});

test('the CLI against NATS: lip serve --nats --no-socket, lip ls --nats, lip call --nats', async (t) => {
  const { lip, serve, fixture } = await import('./helpers/lip-cli.js');
  const url = await startNatsServer(t);
  const dir = socketDir(t);
  const served = await serve(t, ['--nats', url, '--no-socket', '--only', 'add,greet', fixture('cli-math.ts')], dir, 2);
  assert.match(served.stdout(), new RegExp(`serving add\\(a, b\\) at NATS ${url.replace(/[.]/g, '\\.')} \\(lip\\.fn\\.add\\)`));

  const listed = await lip(['ls', '--json', '--nats', url], dir);
  assert.equal(listed.code, 0, listed.stderr);
  const rows = JSON.parse(listed.stdout) as { name: string; state: string; transport: string; signature: string }[];
  assert.deepEqual(
    rows.map((r) => [r.name, r.state, r.transport, r.signature]),
    [
      ['add', 'live', 'nats', 'add(a, b)'],
      ['greet', 'live', 'nats', 'greet(name, punctuation?)'],
    ],
  );

  const called = await lip(['call', '--nats', url, 'greet', 'Ada', '--kw', 'punctuation=?'], dir);
  assert.equal(called.code, 0, called.stderr);
  assert.equal(called.stdout.trim(), '"hello Ada?"');

  const missing = await lip(['call', 'add', '1', '2'], dir);
  assert.equal(missing.code, 3, 'without --nats the function is not found');
  assert.doesNotMatch(missing.stderr, /NATS/, 'no NATS was searched');
  const nowhere = await lip(['call', '--nats', url, 'nope'], dir);
  assert.equal(nowhere.code, 3);
  assert.match(nowhere.stderr, /'nope' not found in .* nor over NATS/, 'the message says NATS was searched too');

  served.child.kill('SIGTERM');
  assert.equal((await served.exited).code, 0);
});

test('the nats and idempotent options are checked up front, with a TypeError naming them', async () => {
  assert.throws(() => new LIPClient({ nats: 5 as never }), /LIPClient option 'nats' must be a URL, a list of URLs, or NATS connection options/);
  assert.throws(() => new LIPClient({ nats: { servers: 5 } as never }), /LIPClient option 'nats'.servers must be a URL or a list of URLs/);
  assert.throws(() => LIPModule({ idempotent: 'yes' as never }), /LIPModule option 'idempotent' must be a boolean/);
  const fn = LIPModule({ logLevel: 'silent' })(function checked() {
    return 1;
  });
  await assert.rejects(fn.init({ nats: [1] as never }), /init\(\): 'nats' must be a URL, a list of URLs, or NATS connection options/);
  await assert.rejects(fn.init({ nats: { servers: 'nats://127.0.0.1:1', user: 'u', pass: 'secret-pass' }, socket: false }), (e: unknown) => {
    assert.ok(e instanceof Error && e.name === 'LIPConnectionError', String(e));
    assert.equal(e.message.includes('secret-pass'), false);
    return true;
  });
});
