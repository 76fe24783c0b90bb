#!/usr/bin/env node
// Bundles the `lip` command into dist/cli/ (run after tsc, which builds the library: the rest of dist/).
// Why (issue 18): Node loads modules one file at a time, and `lip call` loaded about 100 of them plus 50
// CommonJS files of its packages; a few chunks start in a fraction of that. What only some commands need
// (serve, up, metrics, NATS...) stays in chunks or packages loaded on demand, as the sources say.
// The maps carry the sources' text: they point at src/ without src/ being shipped
// (stack traces through them with NODE_OPTIONS=--enable-source-maps).
import { chmodSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const OUT = 'dist/cli';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));

// What every command loads is bundled too (@opentelemetry/api alone is 44 CommonJS files); every other package
// stays outside, loaded when needed. cbor-x's optional native part is never bundled (see `define` below).
const BUNDLED = new Set(['commander', '@opentelemetry/api', 'cbor-x']);
const external = [pkg.dependencies, pkg.devDependencies, pkg.peerDependencies]
  .flatMap((deps) => Object.keys(deps ?? {}))
  .filter((name) => !BUNDLED.has(name))
  .concat('cbor-extract')
  .flatMap((name) => [name, `${name}/*`]);

/** src/version.ts reads package.json one level above itself, which a chunk is not: the version is written in. */
const versionWrittenIn = {
  name: 'version-written-in',
  setup(build) {
    build.onLoad({ filter: /[/\\]src[/\\]version\.ts$/ }, () => ({
      loader: 'ts',
      contents: `export const VERSION: string = ${JSON.stringify(pkg.version)};\nexport const LIB_ID = \`lipmodule/\${VERSION}\`;\n`,
    }));
  },
};

// tsc's files of src/cli/ are in the bundle: only the demo's functions stay a file of their own (`lip demo` serves it).
for (const name of readdirSync(OUT)) if (!name.startsWith('demo-functions.')) rmSync(`${OUT}/${name}`, { recursive: true, force: true });

await build({
  // main.ts only imports the rest: every module of ours sits in a chunk one folder below dist/cli/, as the
  // command files did under tsc, so `new URL('../main.js', import.meta.url)` still finds the entry.
  entryPoints: ['src/cli/main.ts'],
  outdir: OUT,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  // commander is CommonJS: its require() of Node's own modules needs a require in an ES module.
  banner: { js: "import { createRequire as __lipCreateRequire } from 'node:module'; const require = __lipCreateRequire(import.meta.url);" },
  // Comments and blanks out: less to read and parse at each start (names are kept; the maps give the sources).
  minifyWhitespace: true,
  sourcemap: 'linked',
  sourcesContent: true,
  // cbor-x's native string extraction pays off on a server's many answers, not on a command's one; loading it
  // (and finding which C library it was built for) cost `lip call` 4% of its start. This is cbor-x's own switch,
  // set in the command's copy only: served functions use the package's cbor-x, native part included.
  define: { 'process.env.CBOR_NATIVE_ACCELERATION_DISABLED': '"true"' },
  logLevel: 'warning',
  plugins: [versionWrittenIn],
});
chmodSync(`${OUT}/main.js`, 0o755);
