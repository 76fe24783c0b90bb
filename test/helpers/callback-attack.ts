/** What the callback and iterable attack tests share: the wire kinds, and the attack server with a good client beside it. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { LIPClient } from '../../src/index.js';
import { startFixture } from './fixture-server.js';
import { PREAMBLE, RawPeer } from './raw-peer.js';
import { socketDir } from './temp-dir.js';

export const MiB = 1024 * 1024;
export const Call = 1;
export const Error_ = 3;
export const CallbackCall = 9;
export const CallbackResult = 10;
export const CallbackError = 11;
export const ArgItem = 12;
export const ArgEnd = 13;
export const ArgCredit = 14;
export const ArgStop = 15;

/** test/fixtures/callback-attack-server.ts in a child process, a raw connection maker, and a good client. */
export async function attackServer(t: TestContext, env: Record<string, string> = {}) {
  const dir = socketDir(t);
  const server = await startFixture(t, 'callback-attack-server.ts', dir, env);
  const pid = server.child.pid!;
  const good = new LIPClient({ socketDir: dir, timeoutMs: 20_000 });
  t.after(() => good.destroy());
  const connect = async (fn: string) => {
    const peer = await RawPeer.connect(join(dir, `lipcm-${fn}.sock`));
    t.after(() => peer.destroy());
    peer.write(PREAMBLE);
    await peer.waitFrame((f) => f[0] === 0);
    return peer;
  };
  /** A good client's call is still answered right. */
  const alive = async () => assert.equal(await good.callFunction('ping2', [41]), 42);
  return { dir, server, pid, good, connect, alive };
}
