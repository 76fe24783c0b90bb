/**
 * `lip serve --metrics` under attack, over real loopback TCP: hundreds of
 * slowloris connections trickling their headers don't keep a scraper out
 * (the endpoint holds a bounded number of connections, a new one replaces
 * the oldest that isn't being answered) and memory stays flat; a request
 * head that never ends is closed after the request timeout; pipelined
 * requests are answered in order, and a flood of them without reading the
 * answers closes its connection, memory flat; half-closed connections; oversized heads and
 * URLs; every method; a function stopped meanwhile leaves the exposition;
 * a non-loopback address prints a warning.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { isLoopbackHost } from '../src/cli/serve/metrics-address.js';
import { METRICS_MAX_CONNECTIONS, METRICS_MAX_PIPELINED, METRICS_REQUEST_TIMEOUT_MS } from '../src/cli/serve/metrics-endpoint.js';
import { fixture, lip } from './helpers/lip-cli.js';
import { rssOf, sampleRssPeak } from './helpers/process-memory.js';
import { metricsServer } from './helpers/metrics.js';
import { promtoolCheck, samples } from './helpers/promtool.js';
import { socketDir } from './helpers/temp-dir.js';
import { until } from './helpers/until.js';

const MiB = 1024 * 1024;
const GET = 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n';

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Everything the server sends on a connection given `request`, until it closes (or `ms` pass). */
function exchange(port: number, request: string, options: { end?: boolean; ms?: number } = {}): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const socket = connect(port, '127.0.0.1', () => (options.end === false ? socket.write(request) : socket.end(request)));
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('error', () => {});
    socket.on('close', () => resolve(text));
    setTimeout(() => {
      socket.destroy();
      resolve(text);
    }, options.ms ?? 5000).unref();
  });
}

/** The status codes of the HTTP answers in `text`, in order. */
function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}

test('slowloris: hundreds of connections trickling headers; a scraper and the functions keep being answered, memory flat', async (t) => {
  const { url, client, port, pid } = await metricsServer(t);
  await client.callFunction('add', [1, 2]);
  const before = rssOf(pid);
  const rss = sampleRssPeak(pid, { everyMs: 50, start: before });
  const attackers: Socket[] = [];
  let closedByServer = 0;
  const trickle = setInterval(() => {
    for (const socket of attackers) if (!socket.destroyed) socket.write(`X-${attackers.indexOf(socket)}: y\r\n`);
  }, 100);
  t.after(() => {
    clearInterval(trickle);
    rss.stop();
    for (const socket of attackers) socket.destroy();
  });
  for (let wave = 0; wave < 4; wave++) {
    const opened = await Promise.all(Array.from({ length: 64 }, () => open(port)));
    for (const socket of opened) {
      socket.on('close', () => closedByServer++);
      socket.on('error', () => {});
      socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
      attackers.push(socket);
    }
    // Between the waves, a scraper: answered in full each time.
    const response = await fetch(url);
    assert.equal(response.status, 200, `wave ${wave}: the scraper is answered`);
    assert.equal(samples(await response.text()).get('lipmodule_calls_total{function="add"}'), 1 + wave);
    assert.equal(await client.callFunction('add', [wave, 1]), wave + 1);
  }
  // A socket is destroyed before its 'close' event comes: wait for the events counted, not for the flag.
  await until(() => closedByServer >= 4 * 64 - METRICS_MAX_CONNECTIONS, 5000).catch(() => {});
  assert.ok(closedByServer >= 4 * 64 - METRICS_MAX_CONNECTIONS, `the server holds at most ${METRICS_MAX_CONNECTIONS} (closed ${closedByServer})`);
  rss.stop();
  t.diagnostic(`RSS ${(before / MiB).toFixed(1)} MiB before, peak ${(rss.peak() / MiB).toFixed(1)} MiB under 256 slowloris connections`);
  assert.ok(rss.peak() - before < 40 * MiB, `RSS grew ${((rss.peak() - before) / MiB).toFixed(1)} MiB under the attack`);
});

test('a request head that never ends is closed after the request timeout', async (t) => {
  const { port } = await metricsServer(t);
  const socket = await open(port);
  socket.on('error', () => {});
  const started = Date.now();
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
  const trickle = setInterval(() => socket.writable && socket.write('X-a: b\r\n'), 200);
  t.after(() => {
    clearInterval(trickle);
    socket.destroy();
  });
  await closed;
  const took = Date.now() - started;
  assert.ok(took >= METRICS_REQUEST_TIMEOUT_MS - 500, `not before the timeout (${took} ms)`);
});

test('pipelined requests are answered in order; a flood of them unread holds bounded memory', async (t) => {
  const { url, port, pid } = await metricsServer(t);
  const text = await exchange(
    port,
    `${GET}GET /nope HTTP/1.1\r\nHost: x\r\n\r\nHEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n${GET.repeat(METRICS_MAX_PIPELINED - 3)}`,
  );
  assert.deepEqual(statuses(text), [200, 404, 200, ...Array(METRICS_MAX_PIPELINED - 3).fill(200)], `${METRICS_MAX_PIPELINED} pipelined: all answered`);

  const before = rssOf(pid);
  const rss = sampleRssPeak(pid, { everyMs: 50, start: before });
  t.after(() => rss.stop());
  const flood = await open(port);
  flood.on('error', () => {});
  const floodClosed = new Promise<void>((resolve) => flood.once('close', () => resolve()));
  flood.pause(); // never reads an answer
  t.after(() => flood.destroy());
  for (let i = 0; i < 20; i++) flood.write(GET.repeat(1000));
  await floodClosed; // more than METRICS_MAX_PIPELINED unanswered: closed
  await new Promise((resolve) => setTimeout(resolve, 500));
  const response = await fetch(url);
  assert.equal(response.status, 200, 'a scraper is answered meanwhile');
  await response.text();
  rss.stop();
  t.diagnostic(`RSS ${(before / MiB).toFixed(1)} MiB before, peak ${(rss.peak() / MiB).toFixed(1)} MiB under 20,000 unread pipelined requests`);
  assert.ok(rss.peak() - before < 25 * MiB, `RSS grew ${((rss.peak() - before) / MiB).toFixed(1)} MiB for 20,000 unread pipelined requests`);
});

test('half-closed connections, oversized heads and URLs, every method, unknown paths', async (t) => {
  const { port, url } = await metricsServer(t);
  assert.deepEqual(statuses(await exchange(port, GET, { end: true })), [200], 'a request then a half-close: answered');
  const silent = await open(port);
  const start = Date.now();
  await new Promise<void>((resolve) => {
    silent.on('close', () => resolve());
    silent.resume();
    silent.end();
  });
  assert.ok(Date.now() - start < 2000, 'a half-close with no request: closed at once');

  const bigUrl = await exchange(port, `GET /metrics?${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
  assert.deepEqual(statuses(bigUrl), [431], `a 100 kB URL is refused: ${bigUrl.slice(0, 40)}`);
  const bigHeader = await exchange(port, `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
  assert.deepEqual(statuses(bigHeader), [431], 'a 20 kB header is refused, and told why');

  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND']) {
    const answer = await exchange(port, `${method} /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n`);
    assert.deepEqual(statuses(answer), [405], method);
    assert.match(answer, /\r\nAllow: GET, HEAD\r\n/i);
  }
  assert.ok(!statuses(await exchange(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n')).includes(200), 'CONNECT: no tunnel');
  const upgrade = await exchange(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  assert.ok(!statuses(upgrade).includes(101), 'no upgrade');
  for (const path of ['/', '/metrics/', '/Metrics', '/metrics%00', '//metrics', '/../metrics', 'http://evil/metrics', '*'])
    assert.deepEqual(
      statuses(await exchange(port, `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`)).filter((s) => s === 200),
      [],
      path,
    );
  assert.equal((await fetch(url)).status, 200, 'still serving');
});

test('a function stopped meanwhile leaves the exposition; the others stay', async (t) => {
  const { url, client, served } = await metricsServer(t);
  await client.callFunction('square', [3]);
  assert.ok(samples(await (await fetch(url)).text()).has('lipmodule_calls_total{function="square"}'));
  assert.equal(await client.stop('square'), true);
  await served.waitFor('stopped square');
  const text = await (await fetch(url)).text();
  if (!promtoolCheck(t, text)) return;
  const s = samples(text);
  assert.ok(![...s.keys()].some((key) => key.includes('function="square"')), text);
  assert.equal(s.get('lipmodule_calls_total{function="add"}'), 0);
});

test('--metrics on an address other hosts can reach prints a warning; loopback does not', async (t) => {
  for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'LOCALHOST']) assert.ok(isLoopbackHost(host), host);
  for (const host of ['0.0.0.0', '::', '192.0.2.1', '10.0.0.1', 'example.com', '::ffff:10.0.0.1', '1127.0.0.1', '128.0.0.1'])
    assert.ok(!isLoopbackHost(host), host);
  const dir = socketDir(t);
  // 192.0.2.1 (TEST-NET-1) is no address of this machine: the warning comes, then the bind fails, and nothing is exposed.
  const result = await lip(['serve', fixture('cli-math.ts'), '--only', 'add', '--metrics', '192.0.2.1:0'], dir);
  assert.match(result.stderr, /warning: --metrics 192\.0\.2\.1: other hosts may read every function's name and figures/);
  assert.notEqual(result.code, 0);
  const { served } = await metricsServer(t);
  assert.doesNotMatch(served.stderr(), /warning/);
});
