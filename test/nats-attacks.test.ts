/**
 * Hostile users of the NATS bus (any client can publish to a function's subject): what they send is
 * refused for itself alone, and the function goes on answering everyone else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { decode, encode as encodeCbor } from 'cbor-x';
import { LIPClient, LIPModule, LIPProtocolError } from '../src/index.js';
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
  for (let i = 1; i <= PUBLISHED; i++) nc.publish('lip.fn.bumped', encodeCbor([1, i, 'bumped', [i], null, null]));
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

const WINDOW = 8;
const FORGED = 500;

test("items forged into a stream's inbox beyond its window fail the stream: the reader's memory stays bounded", async (t) => {
  const url = await startNatsServer(t);
  const slowStream = LIPModule({ logLevel: 'silent', name: 'trickle' })(async function* trickle() {
    for (let i = 0; i < 1000; i++) {
      yield i;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  await slowStream.init({ nats: url, socket: false });
  t.after(() => slowStream.exit());
  // Anyone on the bus may listen to the function's subject and publish to the caller's inbox.
  const nc = await connect({ servers: url });
  t.after(() => nc.close());
  let forged = 0;
  nc.subscribe('lip.fn.trickle', {
    callback: (_error, msg) => {
      const id = (decode(msg.data) as unknown[])[1];
      for (let i = 0; i < FORGED; i++) nc.publish(msg.reply ?? '', encodeCbor([5, id, `forged ${i}`]));
      forged += FORGED;
    },
  });
  await nc.flush();
  const client = new LIPClient({ socketDir: socketDir(t), nats: url, prefer: 'nats', streamWindow: WINDOW });
  t.after(() => client.close());
  const iterator = client.stream('trickle')[Symbol.asyncIterator]();
  const first = iterator.next(); // sends the stream's request
  await until(() => forged === FORGED);
  await nc.flush();
  await new Promise((resolve) => setTimeout(resolve, 300)); // the forged items arrive while nobody reads
  // Before: all 500 were buffered (and read as the stream's items).
  let read = (await first).done ? 0 : 1;
  await assert.rejects(async () => {
    for (;;) {
      const step = await iterator.next();
      if (step.done) break;
      read++;
    }
  }, LIPProtocolError);
  assert.ok(read <= WINDOW + 1, `read ${read} items: the one awaited, then at most the window of ${WINDOW}`);
});
