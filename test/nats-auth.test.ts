/**
 * NATS servers that require credentials, real ones: a nats-server whose configuration file wants a
 * user and password, and one that wants TLS (a CA and a server certificate made here with openssl).
 * Serving and calling work with the right `nats` options (and the CLI's flags and NATS_* variables),
 * fail with a clear LIPConnectionError without them, and the password shows up in no log line, no
 * printed line and no error message.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { LIPClient, LIPConnectionError, LIPModule } from '../src/index.js';
import { fixture, lip, serve } from './helpers/lip-cli.js';
import { startConfiguredNatsServer } from './helpers/nats-server.js';
import { socketDir } from './helpers/temp-dir.js';

const USER = 'alice';
const PASSWORD = 'pw-Zq8xV1-never-printed';

function greeter() {
  /** Greets someone. */
  return LIPModule({ logLevel: 'silent' })(function hello(name: string) {
    return `hello ${name}`;
  });
}

test('a server that requires a user and password', async (t) => {
  const dir = socketDir(t);
  const { url } = await startConfiguredNatsServer(t, dir, `authorization {\n  user: ${USER}\n  password: "${PASSWORD}"\n}\n`);
  const hello = greeter();

  await t.test('without credentials: a clear error, no secret in it', async () => {
    const error = (await hello.init({ nats: url, socket: false }).catch((e: unknown) => e)) as Error;
    assert.ok(error instanceof LIPConnectionError, String(error));
    assert.match(error.message, /could not connect to NATS at nats:\/\/127\.0\.0\.1:\d+: .*[Aa]uthorization/);
    const wrong = (await hello.init({ nats: { servers: url, user: USER, pass: `${PASSWORD}-wrong` }, socket: false }).catch((e: unknown) => e)) as Error;
    assert.ok(wrong instanceof LIPConnectionError);
    assert.doesNotMatch(`${wrong.message} ${String(wrong.stack)}`, new RegExp(PASSWORD));
    const inUrl = url.replace('nats://', `nats://${USER}:${PASSWORD}-wrong@`);
    const viaUrl = (await hello.init({ nats: inUrl, socket: false }).catch((e: unknown) => e)) as Error;
    assert.ok(viaUrl instanceof LIPConnectionError);
    assert.doesNotMatch(viaUrl.message, new RegExp(PASSWORD), 'the URL is shown without its credentials');
  });

  await t.test('with the connection options passed through: served and called', async () => {
    await hello.init({ nats: { servers: url, user: USER, pass: PASSWORD }, socket: false });
    t.after(() => hello.exit());
    const client = new LIPClient({ socketDir: dir, nats: { servers: [url], user: USER, pass: PASSWORD, name: 'auth-test' } });
    t.after(() => client.destroy());
    assert.equal(await client.callFunction('hello', ['Ada']), 'hello Ada');
    assert.equal(JSON.stringify(await client.describe('hello')).includes(PASSWORD), false);
    const refused = new LIPClient({ socketDir: dir, nats: url });
    t.after(() => refused.destroy());
    await assert.rejects(refused.listFunctions(), (e: unknown) => e instanceof LIPConnectionError && !e.message.includes(PASSWORD));
  });

  await t.test('the CLI: --nats-user with NATS_PASSWORD, NATS_URL with credentials; nothing secret printed', async () => {
    const served = await serve(
      t,
      ['--nats', url, '--nats-user', USER, '--no-socket', '--log-level', 'debug', '--only', 'greet', fixture('cli-math.ts')],
      dir,
      1,
      {
        env: { NATS_PASSWORD: PASSWORD },
      },
    );
    const called = await lip(['call', 'greet', 'Ada', '--json'], dir, { NATS_URL: url, NATS_USER: USER, NATS_PASSWORD: PASSWORD });
    assert.equal(called.code, 0, called.stderr);
    assert.equal(JSON.parse(called.stdout), 'hello Ada!');
    const listed = await lip(['ls', '--nats', url.replace('nats://', `nats://${USER}:${PASSWORD}@`)], dir);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /greet/);
    const refused = await lip(['call', 'greet', 'Ada', '--nats', url, '--nats-user', USER, '--nats-pass', `${PASSWORD}-wrong`], dir);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /could not connect to NATS/);
    served.child.kill('SIGTERM');
    await served.exited;
    for (const text of [served.stdout(), served.stderr(), called.stdout, called.stderr, listed.stdout, listed.stderr, refused.stderr]) {
      assert.equal(text.includes(PASSWORD), false, `the password was printed:\n${text}`);
    }
    assert.match(served.stdout(), /serving greet/);
  });
});

test('a server that requires TLS, with a CA made by openssl', async (t) => {
  const dir = socketDir(t);
  const ca = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca-key.pem');
  const cert = join(dir, 'server.pem');
  const key = join(dir, 'server-key.pem');
  const csr = join(dir, 'server.csr');
  const ext = join(dir, 'san.ext');
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', ca, '-days', '1', '-subj', '/CN=lip test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', '/CN=127.0.0.1');
  execFileSync('sh', ['-c', `printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > ${ext}`]);
  openssl('x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', ext);
  const { url } = await startConfiguredNatsServer(t, dir, `tls {\n  cert_file: "${cert}"\n  key_file: "${key}"\n}\n`);
  const hello = greeter();

  const untrusted = (await hello.init({ nats: url, socket: false }).catch((e: unknown) => e)) as Error;
  assert.ok(untrusted instanceof LIPConnectionError, String(untrusted));
  assert.match(untrusted.message, /could not connect to NATS at nats:\/\/127\.0\.0\.1:\d+: .*(certificate|TLS|tls)/);

  await hello.init({ nats: { servers: url, tls: { caFile: ca } }, socket: false });
  t.after(() => hello.exit());
  const client = new LIPClient({ socketDir: dir, nats: { servers: url, tls: { caFile: ca } } });
  t.after(() => client.destroy());
  assert.equal(await client.callFunction('hello', ['TLS']), 'hello TLS');
});
