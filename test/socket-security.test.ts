/**
 * The socket as a security boundary: file mode, directory mode, squatters,
 * and names that try to leave the socket directory.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ErrorCode, LIPClient, LIPConnectionError, LIPModule, LIPNotFoundError, isLIPError } from '../src/index.js';
import { startFixture } from './helpers/fixture-server.js';
import { socketDir } from './helpers/temp-dir.js';
import { PREAMBLE, RawPeer } from './helpers/raw-peer.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;

test('socket files are created 0600, even under a umask of 000', async (t) => {
  const dir = socketDir(t);
  // An observer polls the path while the server starts, until told to stop (its stdin ends; two minutes at
  // most): it must never see a wider mode.
  const observer = spawn(
    process.execPath,
    [
      '-e',
      `
    const fs = require('node:fs'); const seen = new Set(); const end = Date.now() + 120000; let stop = false;
    const path = process.argv[1];
    process.stdin.resume();
    process.stdin.on('end', () => { stop = true; });
    (function poll() {
      for (let i = 0; i < 2000; i++) { try { seen.add((fs.lstatSync(path).mode & 0o777).toString(8)); } catch {} }
      if (stop || Date.now() > end) { console.log(JSON.stringify([...seen])); process.exit(0); }
      setImmediate(poll);
    })();`,
      join(dir, 'lipcm-add.sock'),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  t.after(() => observer.kill('SIGKILL'));
  let seen = '';
  observer.stdout!.on('data', (c: Buffer) => (seen += c.toString()));
  const observed = new Promise((resolve) => observer.once('exit', resolve));
  await startFixture(t, 'target-server.ts', dir, { TARGET_UMASK: '000' });
  for (const name of ['add', 'echo', 'probe']) {
    const mode = lstatSync(join(dir, `lipcm-${name}.sock`)).mode & 0o777;
    assert.equal(mode.toString(8), '600', name);
  }
  observer.stdin!.end();
  await observed;
  assert.deepEqual(JSON.parse(seen), ['600'], 'modes seen while the server started');
});

test('socketMode widens the mode on purpose', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'target-server.ts', dir, { TARGET_OPTS: JSON.stringify({ socketMode: 0o660 }) });
  assert.equal((lstatSync(join(dir, 'lipcm-add.sock')).mode & 0o777).toString(8), '660');
});

test('a socket directory that is not shared is created 0700', async (t) => {
  const dir = socketDir(t);
  const own = join(dir, 'a', 'b');
  await startFixture(t, 'target-server.ts', dir, { TARGET_OPTS: JSON.stringify({ socketDir: own }), TARGET_UMASK: '000' });
  assert.equal((statSync(own).mode & 0o777).toString(8), '700');
  assert.equal((statSync(join(dir, 'a')).mode & 0o777).toString(8), '700');
  assert.ok(lstatSync(join(own, 'lipcm-add.sock')).isSocket());
});

test('the client refuses a socket file owned by another user unless trusted', { skip: !isRoot && 'needs root to chown' }, async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'target-server.ts', dir);
  const path = join(dir, 'lipcm-add.sock');
  chownSync(path, NOBODY, NOBODY);

  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  await assert.rejects(client.callFunction('add', [1, 2]), (error: unknown) => {
    assert.ok(error instanceof LIPConnectionError);
    assert.equal(error.code, ErrorCode.Untrusted);
    assert.match(error.message, /belongs to uid 65534, not to you \(uid 0\)/);
    assert.match(error.message, /trustUids/);
    return true;
  });
  await assert.rejects(client.ping('add'), (e: unknown) => isLIPError(e) && e.code === ErrorCode.Untrusted);
  await assert.rejects(client.describe('add'), (e: unknown) => isLIPError(e) && e.code === ErrorCode.Untrusted);
  // Files we own are still fine.
  assert.equal(await client.callFunction('echo', ['mine']), 'mine');
  // Listing shows the file as untrusted without connecting to it, and never lists it as a function.
  const before = (await client.stats('echo')).calls;
  const listed = await client.listSockets();
  assert.equal(listed.find((s) => s.name === 'add')?.state, 'untrusted');
  assert.equal((await client.listFunctions()).includes('add'), false);
  assert.equal((await client.stats('echo')).calls, before + 0);

  const trusting = new LIPClient({ socketDir: dir, trustUids: [NOBODY] });
  t.after(() => trusting.destroy());
  assert.equal(await trusting.callFunction('add', [1, 2]), 3);
});

test('a squatter serving in a shared directory as another user is refused', { skip: !isRoot && 'needs root to run as another user' }, async (t) => {
  const dir = socketDir(t);
  const shared = join(dir, 'shared');
  chmodSync(dir, 0o711); // the other user must reach the shared directory inside
  mkdirSync(shared);
  chmodSync(shared, 0o1777); // like /tmp
  const path = join(shared, 'lipcm-add.sock');
  // The squatter answers every connection with a forged Hello and a forged result.
  const squatter = spawn(
    process.execPath,
    [
      '-e',
      `
    const net = require('node:net');
    net.createServer((s) => { s.on('error', () => {}); s.write(Buffer.from('000000028200a0', 'hex')); }).listen(process.argv[1], () => console.log('READY'));`,
      path,
    ],
    {
      uid: NOBODY,
      gid: NOBODY,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  t.after(() => squatter.kill('SIGKILL'));
  await new Promise<void>((resolve, reject) => {
    squatter.stdout!.once('data', () => resolve());
    squatter.once('exit', (code) => reject(new Error(`the squatter exited with ${code}`)));
  });
  assert.equal(lstatSync(path).uid, NOBODY);

  const client = new LIPClient({ socketDir: shared, timeoutMs: 2000 });
  t.after(() => client.destroy());
  await assert.rejects(client.callFunction('add', [1, 2]), (e: unknown) => isLIPError(e) && e.code === ErrorCode.Untrusted);
});

test('function names cannot leave the socket directory', async (t) => {
  const dir = socketDir(t);
  await startFixture(t, 'target-server.ts', dir);
  const before = readdirSync(dir).sort();
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());

  for (const name of ['../x', '../../etc/passwd', '/', '/tmp/x', 'a/b', 'a\0b', '..', '.', '', 'a b', 'a\nb']) {
    await assert.rejects(
      client.callFunction(name, []),
      (e: unknown) => e instanceof LIPNotFoundError && /not a valid function name/.test(e.message),
      JSON.stringify(name),
    );
    assert.throws(() => LIPModule({ name } as never), TypeError, `serving ${JSON.stringify(name)}`);
  }
  // Too long for sun_path: a clear error, never a silently cut path.
  await assert.rejects(client.callFunction('a'.repeat(200), []), (e: unknown) => isLIPError(e) && e.code === ErrorCode.SocketPath);
  await assert.rejects(
    LIPModule({ socketDir: dir, logLevel: 'silent' })(function f() {}).init({ socketDir: join(dir, 'x'.repeat(120)) }),
    (e: unknown) => isLIPError(e) && e.code === ErrorCode.SocketPath,
  );

  // On the wire the name is only compared with the served one, never used as a path.
  const peer = await RawPeer.connect(join(dir, 'lipcm-echo.sock'));
  t.after(() => peer.destroy());
  peer.write(PREAMBLE);
  ['../x', '/etc/passwd', 'a\0b', 'x'.repeat(5000), '../lipcm-add'].forEach((fn, i) => {
    peer.send([1, i + 1, fn, [], null, null]);
  });
  for (let id = 1; id <= 5; id++) {
    const reply = await peer.reply(id);
    assert.equal((reply![2] as { code: string }).code, ErrorCode.NotFound);
  }
  assert.deepEqual(readdirSync(dir).sort(), before, 'no file appeared or vanished');
});
