/**
 * Hostile users of the NATS bus (any client can publish to a function's subject): what they send is
 * refused for itself alone, and the function goes on answering everyone else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { encode } from 'cbor-x';
import { LIPClient, LIPModule } from '../src/index.js';
import { startNatsServer } from './helpers/nats-server.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

const PUBLISHED = 2000;

test('a request with no reply subject (a plain publish) is not run, only counted as an error', async (t) => {
  const url = await startNatsServer(t);
  let runs = 0;
  const bumped = LIPModule({ logLevel: 'silent', name: 'bumped' })(function bumped(x: number) {
    runs++;
    return x;
  });
  await bumped.init({ nats: url, socket: false });
  t.after(() => bumped.exit());
  const nc = await connect({ servers: url });
  t.after(() => nc.close());
  // Before: each one ran the function for nobody and wrote a warning, so any bus user could fill the logs.
  for (let i = 1; i <= PUBLISHED; i++) nc.publish('lip.fn.bumped', encode([1, i, 'bumped', [i], null, null]));
  await nc.flush();
  const stats = async () => {
    const answer = await nc.request('$SRV.STATS.bumped', new Uint8Array(0), { timeout: 5000 });
    return JSON.parse(new TextDecoder().decode(answer.data)).endpoints[0] as { num_requests: number; num_errors: number; last_error: string };
  };
  await until(async () => (await stats()).num_requests >= PUBLISHED, 15_000);
  const counted = await stats();
  assert.equal(counted.num_errors, PUBLISHED);
  assert.match(counted.last_error, /^400:.*no reply subject/);
  assert.equal(runs, 0, 'no request without a reply subject ran');

  const client = new LIPClient({ socketDir: socketDir(t), nats: url, prefer: 'nats' });
  t.after(() => client.close());
  assert.equal(await client.callFunction('bumped', [7]), 7);
  assert.equal(runs, 1);
});
