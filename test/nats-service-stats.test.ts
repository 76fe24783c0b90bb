/**
 * $SRV.PING|INFO|STATS as ADR-32 has them, read with the NATS client itself from a real
 * nats-server: the shapes `nats micro ls/info/stats` read, and honest figures after a known sequence
 * of calls (every asynchronous call timed to its end, every error counted, errors sent with the
 * Nats-Service-Error headers), our own figures in the endpoint's `data`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { LIPClient, LIPModule, LIPRemoteError } from '../src/index.js';
import { encodeValue } from '../src/protocol/codec.js';
import { startNatsServer } from './helpers/nats-server.js';
import { socketDir } from './helpers/temp-dir.js';

interface Endpoint {
  name: string;
  subject: string;
  queue_group: string;
  num_requests: number;
  num_errors: number;
  last_error: string;
  processing_time: number;
  average_processing_time: number;
  data: Record<string, number>;
}

test('$SRV.STATS counts every call and error and times asynchronous calls to their end', async (t) => {
  const url = await startNatsServer(t);
  const dir = socketDir(t);
  /** Sleeps 20 ms, then throws when asked to. */
  const sleepy = LIPModule({ logLevel: 'silent', version: '1.2.3', idempotent: true })(async function sleepy(fail: boolean) {
    await new Promise((r) => setTimeout(r, 20));
    if (fail) throw new RangeError('asked to fail');
    return 'slept';
  });
  await sleepy.init({ nats: url, socket: false });
  t.after(() => sleepy.exit());
  const client = new LIPClient({ socketDir: dir, nats: url });
  t.after(() => client.destroy());
  const nc = await connect({ servers: url });
  t.after(() => nc.close());

  for (const fail of [false, true, false, true, false, true]) {
    if (fail) await assert.rejects(client.callFunction('sleepy', [fail]), LIPRemoteError);
    else assert.equal(await client.callFunction('sleepy', [fail]), 'slept');
  }

  const ping = (await nc.request('$SRV.PING')).json<Record<string, unknown>>();
  assert.equal(ping.type, 'io.nats.micro.v1.ping_response');
  assert.equal(ping.name, 'sleepy');
  assert.equal(ping.version, '1.2.3');
  assert.equal(typeof ping.id, 'string');

  const info = (await nc.request(`$SRV.INFO.sleepy.${ping.id}`)).json<{ type: string; metadata: Record<string, string>; endpoints: Endpoint[] }>();
  assert.equal(info.type, 'io.nats.micro.v1.info_response');
  assert.equal(info.metadata['lip.idempotent'], 'true');
  assert.deepEqual(
    info.endpoints.map((e) => [e.name, e.subject, e.queue_group]),
    [['sleepy', 'lip.fn.sleepy', 'q']],
  );

  for (const subject of ['$SRV.STATS', '$SRV.STATS.sleepy', `$SRV.STATS.sleepy.${ping.id}`]) {
    const stats = (await nc.request(subject)).json<{ type: string; name: string; id: string; started: string; endpoints: Endpoint[] }>();
    assert.equal(stats.type, 'io.nats.micro.v1.stats_response');
    assert.equal(stats.id, ping.id);
    assert.ok(!Number.isNaN(Date.parse(stats.started)));
    const [endpoint] = stats.endpoints;
    assert.ok(endpoint);
    assert.equal(endpoint.num_requests, 6, subject);
    assert.equal(endpoint.num_errors, 3);
    assert.match(endpoint.last_error, /^500:RangeError: asked to fail/);
    // Nanoseconds: every call slept 20 ms before it answered, the failing ones too.
    assert.ok(endpoint.average_processing_time >= 20e6, `average ${endpoint.average_processing_time} ns`);
    assert.ok(endpoint.processing_time >= 6 * 20e6);
    assert.equal(endpoint.average_processing_time, Math.round(endpoint.processing_time / 6));
    assert.equal(endpoint.data.calls, 6);
    assert.equal(endpoint.data.errors, 3);
    assert.equal(endpoint.data.in_flight, 0);
    assert.ok(endpoint.data.p50_ms! >= 20 && endpoint.data.p99_ms! >= endpoint.data.p50_ms!);
    assert.equal(typeof endpoint.data.cache_hits, 'number');
  }

  // An error reply carries the micro error headers, for any NATS client to read.
  const reply = await nc.request('lip.fn.sleepy', encodeValue([1, 1, 'sleepy', [true], null, null]));
  assert.equal(reply.headers?.get('Nats-Service-Error-Code'), '500');
  assert.match(reply.headers?.get('Nats-Service-Error') ?? '', /RangeError: asked to fail/);
});

test('stats of a stream count once, timed to its end', async (t) => {
  const url = await startNatsServer(t);
  const dir = socketDir(t);
  const ticks = LIPModule({ logLevel: 'silent' })(async function* ticks(n: number) {
    for (let i = 0; i < n; i++) {
      await new Promise((r) => setTimeout(r, 10));
      yield i;
    }
  });
  await ticks.init({ nats: url, socket: false });
  t.after(() => ticks.exit());
  const client = new LIPClient({ socketDir: dir, nats: url });
  t.after(() => client.destroy());
  const got: number[] = [];
  for await (const i of client.stream<number>('ticks', [5])) got.push(i);
  assert.deepEqual(got, [0, 1, 2, 3, 4]);
  const nc = await connect({ servers: url });
  t.after(() => nc.close());
  const [endpoint] = (await nc.request('$SRV.STATS.ticks')).json<{ endpoints: Endpoint[] }>().endpoints;
  assert.equal(endpoint?.num_requests, 1);
  assert.equal(endpoint?.num_errors, 0);
  assert.ok(endpoint!.processing_time >= 50e6, `${endpoint!.processing_time} ns`);
});
