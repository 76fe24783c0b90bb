import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers.js';

test('npm pack gives a package a fresh project can install and use from TypeScript, with types', { timeout: 240_000 }, (t) => {
  const work = mkdtempSync('/tmp/lipp-');
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const npm = (args: string[], cwd: string) =>
    execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  npm(['pack', '--pack-destination', work], ROOT);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
  assert.ok(tarball, 'npm pack wrote a tarball');

  const app = join(work, 'app');
  execFileSync('mkdir', [app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  npm(['install', '--prefer-offline', join(work, tarball), '@types/node@20'], app);

  const installed = JSON.parse(readFileSync(join(app, 'node_modules', 'lipmodule', 'package.json'), 'utf8')) as { exports: unknown; bin: unknown };
  assert.ok(installed.exports && installed.bin);

  writeFileSync(join(app, 'example.ts'), readFileSync(join(ROOT, 'examples', 'quickstart.ts'), 'utf8'));
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, types: ['node'], skipLibCheck: false }, files: ['example.ts'] }),
  );
  // Types resolve through the package's exports map, and the example type-checks with skipLibCheck off.
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { encoding: 'utf8' });

  const sockets = join(work, 's');
  execFileSync('mkdir', [sockets]);
  const output = execFileSync(process.execPath, ['--import', 'tsx', 'example.ts'], { cwd: app, encoding: 'utf8', env: { ...process.env, LIP_SOCKET_DIR: sockets } });
  assert.equal(output, "5\n[ 'add' ]\nAdds two numbers.\n5\n42\n");

  // The installed bin runs too.
  const version = execFileSync(join(app, 'node_modules', '.bin', 'lip'), ['--version'], { encoding: 'utf8' });
  assert.match(version.trim(), /^\d+\.\d+\.\d+/);
});
