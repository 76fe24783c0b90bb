/**
 * The TypeScript side: the tests and the compile-only type tests in test/types
 * type-check, and a class with standard @LIPModule decorators compiled by tsc
 * serves.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/paths.js';

test('the tests type-check, including the compile-only type tests in test/types', () => {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.test.json')], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stdout + result.stderr);
});

test('a class with @LIPModule methods compiled by tsc (standard decorators) serves and answers', async (t) => {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const work = mkdtempSync('/tmp/lipd-');
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const dist = join(ROOT, 'dist', 'index.js');
  writeFileSync(
    join(work, 'geometry.ts'),
    `import { LIPClient, LIPModule } from ${JSON.stringify(dist)};
class Geometry {
  private readonly unit = 'm';
  /** Length of a vector. */
  @LIPModule({ logLevel: 'silent', socketDir: ${JSON.stringify(work)} })
  norm(x: number, y: number) { return \`\${Math.hypot(x, y)} \${this.unit}\`; }
}
const g = new Geometry();
await LIPModule.init(g);
const client = new LIPClient({ socketDir: ${JSON.stringify(work)} });
console.log(g.norm(3, 4), await client.callFunction('norm', [6, 8]), await client.getDocstring('norm'));
client.destroy();
await LIPModule.exit(g);
`,
  );
  writeFileSync(
    join(work, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: true, outDir: 'out', types: [] },
      files: ['geometry.ts'],
    }),
  );
  writeFileSync(join(work, 'package.json'), JSON.stringify({ type: 'module' }));
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', work], { encoding: 'utf8' });
  assert.equal(compiled.status, 0, compiled.stdout + compiled.stderr);
  const ran = spawnSync(process.execPath, [join(work, 'out', 'geometry.js')], { encoding: 'utf8' });
  assert.equal(ran.status, 0, ran.stderr);
  assert.equal(ran.stdout.trim(), '5 m 10 m Length of a vector.');
});
