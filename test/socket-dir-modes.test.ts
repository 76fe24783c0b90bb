/**
 * The socket directory, as ssh's StrictModes: one that others can write to (or
 * that another user owns) lets them swap sockets under a client, so init() and
 * the client refuse it, saying whose it is, its mode and how to fix it. A missing
 * directory is created, and when that fails the error says what failed and why.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ErrorCode, LIPClient, LIPModule, isLIPError, type LIPError } from '../src/index.js';
import { socketDir } from './helpers/temp-dir.js';
import { SECOND_USER_SKIP, secondUser } from './helpers/second-user.js';

const quiet = { logLevel: 'silent' } as const;

/** A function served in `dir` by this process, stopped after the test. */
function served(t: TestContext, dir: string) {
  const fn = LIPModule({ ...quiet, socketDir: dir, name: 'modes' })(function modes() {
    return 'here';
  });
  t.after(() => fn.exit({ timeoutMs: 0 }));
  return fn;
}

function refusal(dir: string, owner: number, mode: string, fix: RegExp) {
  return (error: unknown): true => {
    assert.ok(isLIPError(error), String(error));
    assert.equal((error as LIPError).code, ErrorCode.Untrusted);
    const message = (error as Error).message;
    assert.ok(message.includes(dir), `names the directory: ${message}`);
    assert.match(message, new RegExp(`belongs to uid ${owner} with mode ${mode}`));
    assert.match(message, fix);
    return true;
  };
}

test('a socket directory another user created first is refused by init() and the client', { skip: SECOND_USER_SKIP }, async (t) => {
  const user = secondUser(t);
  const top = socketDir(t);
  chmodSync(top, 0o1777); // like /tmp: the other user gets there first
  const theirs = join(top, 'sockets');
  const sticky = join(top, 'sticky');
  const made = user.node(
    `const fs = require('node:fs'); fs.mkdirSync(process.argv[1]); fs.chmodSync(process.argv[1], 0o777);
     fs.mkdirSync(process.argv[2]); fs.chmodSync(process.argv[2], 0o1777); console.log('READY');`,
    [theirs, sticky],
  );
  await made.waitFor('READY');
  await made.stop();
  assert.equal(statSync(theirs).uid, user.uid);

  for (const [dir, mode] of [
    [theirs, '0777'],
    [sticky, '1777'],
  ] as const) {
    await assert.rejects(served(t, dir).init(), refusal(dir, user.uid, mode, /directory you own.*chown/));
    const client = new LIPClient({ socketDir: dir });
    t.after(() => client.destroy());
    await assert.rejects(client.callFunction('modes'), refusal(dir, user.uid, mode, /trustUids/));
    await assert.rejects(client.listFunctions(), refusal(dir, user.uid, mode, /trustUids/));
  }

  // A client that trusts that user accepts a directory of theirs nobody else can write to.
  chmodSync(theirs, 0o755);
  const trusting = new LIPClient({ socketDir: theirs, trustUids: [user.uid] });
  t.after(() => trusting.destroy());
  assert.deepEqual(await trusting.listFunctions(), []);
});

test('a directory of ours that group or others can write to is refused unless sticky', async (t) => {
  const top = socketDir(t);
  for (const [mode, who] of [
    [0o777, 'any user'],
    [0o775, 'its group'],
    [0o702, 'any user'],
  ] as const) {
    const dir = join(top, mode.toString(8));
    mkdirSync(dir);
    chmodSync(dir, mode);
    const shown = mode.toString(8).padStart(4, '0');
    await assert.rejects(served(t, dir).init(), (e: unknown) => refusal(dir, 0, shown, /chmod go-w/)(e) && (e as Error).message.includes(who));
    const client = new LIPClient({ socketDir: dir });
    t.after(() => client.destroy());
    await assert.rejects(client.callFunction('modes'), refusal(dir, 0, shown, /chmod go-w/));
  }
  // Sticky like /tmp, or writable by us alone: served and called.
  for (const mode of [0o1777, 0o1770, 0o755, 0o700]) {
    const dir = join(top, `ok${mode.toString(8)}`);
    mkdirSync(dir);
    chmodSync(dir, mode);
    const fn = served(t, dir);
    await fn.init();
    const client = new LIPClient({ socketDir: dir });
    t.after(() => client.destroy());
    assert.equal(await client.callFunction('modes'), 'here', mode.toString(8));
    await fn.exit();
  }
});

test('a socket directory that cannot be created: the error says which and why', async (t) => {
  const top = socketDir(t);
  writeFileSync(join(top, 'file'), '');
  await assert.rejects(served(t, join(top, 'file', 'sub')).init(), (error: unknown) => {
    assert.match((error as Error).message, /could not create the socket directory .*file\/sub: .*file exists and is not a directory/);
    return true;
  });
});

test('creating a missing socket directory on a full file system says what failed and why', async (t) => {
  // Not socketDir(t): the file system must be unmounted before its mount point is removed.
  const mount = mkdtempSync('/tmp/lipfull-');
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,nr_inodes=4', 'tmpfs', mount], { stdio: 'pipe' });
  } catch (error) {
    rmSync(mount, { recursive: true });
    t.skip(`cannot mount a small tmpfs to fill (${String((error as { stderr?: Buffer }).stderr ?? error).trim()})`);
    return;
  }
  t.after(() => {
    execFileSync('umount', [mount]);
    rmSync(mount, { recursive: true });
  });
  // Use up its inodes.
  for (let i = 0; i < 10; i++) {
    try {
      writeFileSync(join(mount, `f${i}`), '');
    } catch {
      break;
    }
  }
  const dir = join(mount, 'a', 'b');
  await assert.rejects(served(t, dir).init(), (error: unknown) => {
    const message = (error as Error).message;
    assert.match(message, new RegExp(`could not create the socket directory ${dir} \\(creating ${join(mount, 'a')}\\): no space left`));
    assert.match(message, /ENOSPC/);
    return true;
  });
});

test('a socket directory of ours under a parent that group or others can write to is refused, naming the parent', async (t) => {
  const top = socketDir(t);
  for (const [mode, who] of [
    [0o775, 'its group'],
    [0o777, 'any user'],
  ] as const) {
    // Whoever can rename entries in `team` can swap `team/sock` between our checks and connect(2).
    const team = join(top, `team${mode.toString(8)}`);
    const dir = join(team, 'sock');
    mkdirSync(dir, { recursive: true });
    chmodSync(team, mode);
    chmodSync(dir, 0o700);
    const shown = mode.toString(8).padStart(4, '0');
    const namesParent = (e: unknown) =>
      refusal(team, 0, shown, /chmod go-w/)(e) &&
      (e as Error).message.includes(`${team}, a parent of the socket directory ${dir}`) &&
      (e as Error).message.includes(who);
    await assert.rejects(served(t, dir).init(), namesParent);
    const client = new LIPClient({ socketDir: dir });
    t.after(() => client.destroy());
    await assert.rejects(client.callFunction('modes'), namesParent);
    await assert.rejects(client.listFunctions(), namesParent);
  }
});

test('a socket directory under a sticky parent that another user owns is refused: its owner can rename our entries', { skip: SECOND_USER_SKIP }, async (t) => {
  const user = secondUser(t);
  const top = socketDir(t);
  chmodSync(top, 0o1777);
  const shared = join(top, 'shared');
  const made = user.node(`const fs = require('node:fs'); fs.mkdirSync(process.argv[1]); fs.chmodSync(process.argv[1], 0o1777); console.log('READY');`, [
    shared,
  ]);
  await made.waitFor('READY');
  await made.stop();
  const dir = join(shared, 'sock');
  mkdirSync(dir, { mode: 0o700 });
  const namesParent = (e: unknown) => refusal(shared, user.uid, '1777', /chown/)(e) && (e as Error).message.includes(`${shared}, a parent of`);
  await assert.rejects(served(t, dir).init(), namesParent);
  const client = new LIPClient({ socketDir: dir });
  t.after(() => client.destroy());
  await assert.rejects(client.callFunction('modes'), namesParent);
  await assert.rejects(client.listFunctions(), namesParent);
});

test('a socketDir given as a symlink of our own is resolved: served and called through the real path', async (t) => {
  const top = socketDir(t);
  const real = join(top, 'real');
  mkdirSync(real, { mode: 0o700 });
  const link = join(top, 'link');
  execFileSync('ln', ['-s', real, link]);
  const fn = served(t, link);
  await fn.init();
  assert.ok(statSync(join(real, 'lipcm-modes.sock')).isSocket());
  const client = new LIPClient({ socketDir: link });
  t.after(() => client.destroy());
  assert.equal(await client.callFunction('modes'), 'here');
  await fn.exit();
  assert.throws(() => statSync(join(real, 'lipcm-modes.sock')), /ENOENT/, 'the socket file is removed at its real path');
});

test('a symlinked socketDir whose real path is too long for a socket is refused by init(), leaving no file', async (t) => {
  // Before: the length was checked on the given path only; the kernel cut the real one short and init()
  // failed with a raw ENOENT, a truncated socket file left behind.
  const top = socketDir(t);
  const deep = join(top, 'd'.repeat(60), 'e'.repeat(60));
  mkdirSync(deep, { recursive: true, mode: 0o700 });
  const link = join(top, 'short');
  execFileSync('ln', ['-s', deep, link]);
  const fn = served(t, link);
  await assert.rejects(fn.init(), (error: LIPError) => {
    assert.ok(isLIPError(error), String(error));
    assert.equal(error.code, ErrorCode.SocketPath);
    assert.match(error.message, /leads to .* bytes, over the kernel's limit/);
    return true;
  });
  assert.deepEqual(execFileSync('find', [top, '-type', 's']).toString(), '', 'no socket file anywhere');
  assert.equal(fn.serving, false);
});
