/**
 * Compile-only type tests: `tsc -p tsconfig.test.json` (test/typecheck.test.ts) must accept this file.
 * Each `@ts-expect-error` line must be an error, or tsc fails.
 */
import {
  isLogLevel,
  LIPClient,
  LIPModule,
  LIPRemoteError,
  type LIPFunction,
  type LIPFunctionControls,
  type LogLevelName,
  type Remote,
} from '../../src/index.js';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_proof?: T): void {}

/** Adds two numbers. */
export const add = LIPModule({ logLevel: 'info' })(function add(a: number, b: number) {
  return a + b;
});

// The wrapper keeps the function's own signature, and adds the controls.
expectType<Equal<ReturnType<typeof add>, number>>();
expectType<Equal<Parameters<typeof add>, [a: number, b: number]>>();
expectType<Equal<typeof add, LIPFunction<(a: number, b: number) => number>>>();
expectType<Equal<ReturnType<typeof add.init>, Promise<void>>>();
expectType<Equal<typeof add.lipName, string>>();
// @ts-expect-error: still type-checked as a local function
add('2', 3);

const later = LIPModule()(async function later(x: string) {
  return x.length;
});
expectType<Equal<ReturnType<typeof later>, Promise<number>>>();

const client = new LIPClient({ socketDir: '/tmp', timeoutMs: 1000 });

// bind<typeof fn>() gives a typed async function.
const remoteAdd = client.bind<typeof add>('add');
expectType<Equal<typeof remoteAdd, (a: number, b: number) => Promise<number>>>();
expectType<Equal<Remote<typeof later>, (x: string) => Promise<number>>>();
// @ts-expect-error: argument types flow from the served function
void remoteAdd('2', 3);

const ticks = LIPModule()(async function* ticks(n: number) {
  yield n;
});
// A bound streaming function streams its values.
expectType<Equal<Remote<typeof ticks>, (n: number) => AsyncIterable<number>>>();
async function streamBound() {
  for await (const value of client.bind<typeof ticks>('ticks')(3)) expectType<Equal<typeof value, number>>();
  // @ts-expect-error: not a promise of an array any more
  const all: number[] = await client.bind<typeof ticks>('ticks')(3);
  void all;
}
void streamBound;

async function usage() {
  const n = await client.callFunction<number>('add', [2, 3], {}, { timeoutMs: 50, signal: AbortSignal.timeout(100) });
  expectType<Equal<typeof n, number>>();
  const doc = await client.getDocstring('add');
  expectType<Equal<typeof doc, string | null>>();
  const names = await client.listFunctions();
  expectType<Equal<typeof names, string[]>>();
  for await (const value of client.stream<number>('ticks', [3])) expectType<Equal<typeof value, number>>();
  const info = await client.describe('add');
  expectType<Equal<typeof info.signature, string>>();
  try {
    await remoteAdd(1, 2);
  } catch (error) {
    if (error instanceof LIPRemoteError) expectType<Equal<typeof error.remote.message, string>>();
  }
}
void usage;

// The standard decorator form type-checks with no experimentalDecorators.
export class Geometry {
  private readonly unit = 'm';
  /** Length of a vector, in metres. */
  @LIPModule({ lru: true, lruMax: 100 })
  norm(x: number, y: number) {
    return `${Math.hypot(x, y)} ${this.unit}`;
  }
}
const g = new Geometry();
expectType<Equal<ReturnType<typeof g.norm>, string>>();
void LIPModule.init(g);

// @ts-expect-error: options are typed
LIPModule({ lruMax: 'ten' });

// What `lip serve` is built on: closed, the log level, and the served functions of a module.
expectType<Equal<typeof add.closed, Promise<void>>>();
expectType<Equal<typeof add.logLevel, LogLevelName>>();
add.setLogLevel('warning');
add.setLogLevel(40);
// @ts-expect-error: not a level
add.setLogLevel('loud');
const served = LIPModule.functionsOf({ add, g });
expectType<Equal<typeof served, LIPFunctionControls[]>>();
const maybe: unknown = 'info';
if (isLogLevel(maybe)) add.setLogLevel(maybe);

// Callbacks and iterables as arguments keep their types through bind().
const withProgress = LIPModule()(async function withProgress(n: number, onProgress: (done: number, total: number) => Promise<void>) {
  await onProgress(n, n);
  return n;
});
const uploadBytes = LIPModule()(async function uploadBytes(source: AsyncIterable<Uint8Array>, options: { onChunk: (size: number) => void }) {
  for await (const chunk of source) options.onChunk(chunk.length);
  return 0;
});
const double = LIPModule()(async function* double(source: AsyncIterable<number>) {
  for await (const n of source) yield n * 2;
});
async function callbacksTyped() {
  const remoteProgress = client.bind<typeof withProgress>('withProgress');
  // The caller's callback may answer at once (the served function sees it as async either way).
  await remoteProgress(3, (done, total) => {
    expectType<Equal<typeof done, number>>();
    expectType<Equal<typeof total, number>>();
  });
  await remoteProgress(3, async () => {});
  // @ts-expect-error: the callback's parameter is a number, not a string
  await remoteProgress(3, (done: string) => void done);
  // @ts-expect-error: a callback is expected, not a value
  await remoteProgress(3, 5);
  async function* bytes() {
    yield new Uint8Array(4);
  }
  const remoteUpload = client.bind<typeof uploadBytes>('uploadBytes');
  await remoteUpload(bytes(), { onChunk: (size) => expectType<Equal<typeof size, number>>() });
  const { Readable } = await import('node:stream');
  await remoteUpload(Readable.from([Buffer.from('a')]), { onChunk: () => {} });
  await remoteUpload(new ReadableStream<Uint8Array>(), { onChunk: () => {} });
  async function* words() {
    yield 'a';
  }
  // @ts-expect-error: the iterable's items are bytes, not strings
  await remoteUpload(words(), { onChunk: () => {} });
  // @ts-expect-error: the nested callback's parameter is a number
  await remoteUpload(bytes(), { onChunk: (size: string) => void size });
  for await (const n of client.bind<typeof double>('double')(words2())) expectType<Equal<typeof n, number>>();
  async function* words2() {
    yield 1;
  }
}
void callbacksTyped;
