/**
 * The fuzzer shared by `npm test` (test/fuzz.test.ts, short) and `npm run fuzz`
 * (test/long/fuzz.ts, long): arbitraries for raw CBOR and for the message
 * grammar, and drivers that throw them at a real server over real sockets
 * while a well-behaved client checks, case after case, that it is still served.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import type { LIPClient } from '../../src/index.js';
import { cbor, frame, head } from './raw-cbor.js';
import { PREAMBLE, RawPeer } from './raw-peer.js';

// ---- raw CBOR ------------------------------------------------------------

const hostileKeys = ['__proto__', 'constructor', 'prototype', 'polluted', 'toString', 'valueOf', 'hasOwnProperty', 'a', 'b', 'value', ''];
const hostileStrings = [...hostileKeys, '../x', '/etc/passwd', 'a\0b', 'Error', 'RegExp', 'Function', 'eval', 'require', 'process', 'add', 'echo'];

/** Tags: the refused ones, the ones cbor-x knows, and any other. */
const tagArb = fc.oneof(
  fc.constantFrom(
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    14,
    15,
    21,
    25,
    27,
    28,
    29,
    32,
    35,
    37,
    51,
    64,
    72,
    86,
    105,
    216,
    224,
    225,
    255,
    256,
    258,
    259,
    27647,
    28704,
    55799,
    0xdff9,
    0xdffe,
    0xdfff,
    0xe000,
    0xe0ff,
    0x53687264,
  ),
  fc.integer({ min: 0, max: 0xffffffff }),
);

const textArb = fc.oneof(fc.constantFrom(...hostileStrings), fc.string({ maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }));

const leafArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }).map((n) => head(0, n)),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((n) => head(0, n)),
  fc.integer({ min: 0, max: 0xffffffff }).map((n) => head(1, n)),
  textArb.map((s) => cbor.text(s)),
  fc.uint8Array({ maxLength: 64 }).map((b) => cbor.bytes(Buffer.from(b))),
  fc.constantFrom(0xf4, 0xf5, 0xf6, 0xf7, 0xf0, 0xf8).map((b) => (b === 0xf8 ? Buffer.from([0xf8, 0x20]) : Buffer.from([b]))),
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.concat([Buffer.from([0xfb]), b])),
  fc.uint8Array({ minLength: 2, maxLength: 2 }).map((b) => Buffer.concat([Buffer.from([0xf9]), b])),
  // Bignums, now and then over the limit.
  fc.tuple(fc.constantFrom(2, 3), fc.integer({ min: 0, max: 12_000 })).map(([tag, n]) => cbor.tag(tag, cbor.bytes(Buffer.alloc(n, 0xff)))),
  // Deep nesting, now and then over the limit.
  fc.integer({ min: 1, max: 3000 }).map((n) => Buffer.concat([Buffer.alloc(n, 0x81), Buffer.from([0x01])])),
  fc.integer({ min: 1, max: 800 }).map((n) => Buffer.concat([Buffer.alloc(n * 3, 0).map((_, i) => [0xd9, 0x01, 0x03][i % 3]!), Buffer.from([0xa0])])),
  // Lengths that lie.
  fc.constantFrom(0x9a, 0x9b, 0xba, 0xbb, 0x5a, 0x7a).map((b) => Buffer.concat([Buffer.from([b]), Buffer.alloc(b & 1 ? 8 : 4, 0xff)])),
);

/** Any CBOR item, well-formed in shape but hostile in content. */
export const cborArb: fc.Arbitrary<Buffer> = fc.letrec<{ item: Buffer }>((tie) => ({
  item: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb,
    fc.array(tie('item'), { maxLength: 5 }).map((items) => cbor.array(items)),
    fc.array(tie('item'), { maxLength: 5 }).map((items) => Buffer.concat([Buffer.from([0x9f]), ...items, Buffer.from([0xff])])),
    fc
      .array(
        fc.tuple(
          fc.oneof(
            textArb.map((s) => cbor.text(s)),
            tie('item'),
          ),
          tie('item'),
        ),
        { maxLength: 4 },
      )
      .map((pairs) => cbor.map(pairs)),
    fc.tuple(tagArb, tie('item')).map(([tag, item]) => cbor.tag(tag, item)),
  ),
})).item;

// ---- the message grammar ---------------------------------------------------

const idArb = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 1000 }).map((n) => head(0, n)), weight: 6 },
  fc.constantFrom(0, 0xffffffff, 0x100000000).map((n) => head(0, n)),
  fc.integer({ min: 0, max: 100 }).map((n) => head(1, n)),
  cborArb,
);
const kindArb = fc.oneof(
  { arbitrary: fc.constantFrom(1, 1, 1, 4, 7, 8).map((k) => head(0, k)), weight: 6 },
  fc.integer({ min: 0, max: 300 }).map((k) => head(0, k)),
  cborArb,
);
// Functions that answer at once: a fuzzer must not park calls for ever (no hang, no sleep) nor stop the server.
const fnArb = fc.oneof(
  { arbitrary: fc.constantFrom('echo', 'add', 'inspect', 'tagged').map((s) => cbor.text(s)), weight: 6 },
  textArb.map((s) => cbor.text(s)),
  cborArb,
);
const argsArb = fc.oneof({ arbitrary: fc.array(cborArb, { maxLength: 3 }).map((a) => cbor.array(a)), weight: 6 }, cborArb);
const kwargsArb = fc.oneof(
  { arbitrary: fc.constant(cbor.null), weight: 4 },
  fc
    .array(
      fc.tuple(
        fc.constantFrom(...hostileKeys).map((k) => cbor.text(k)),
        cborArb,
      ),
      { maxLength: 3 },
    )
    .map((p) => cbor.map(p)),
  cborArb,
);
const optsArb = fc.oneof(
  { arbitrary: fc.constant(cbor.null), weight: 4 },
  fc
    .array(
      fc.tuple(
        fc.constantFrom('timeoutMs', 'stream', 'credit', '__proto__').map((k) => cbor.text(k)),
        cborArb,
      ),
      { maxLength: 3 },
    )
    .map((p) => cbor.map(p)),
  cborArb,
);
const verbArb = fc.oneof(
  fc.constantFrom('ping', 'doc', 'info', 'stats').map((v) => cbor.text(v)),
  cborArb.filter((b) => !b.equals(cbor.text('stop'))),
);

/** One client message body: mostly close to the grammar, sometimes far from it. */
export const messageArb: fc.Arbitrary<Buffer> = fc
  .oneof(
    {
      arbitrary: fc
        .tuple(kindArb, idArb, fnArb, argsArb, kwargsArb, optsArb, fc.integer({ min: 1, max: 7 }))
        .map(([k, id, fn, args, kw, opts, n]) => cbor.array([k, id, fn, args, kw, opts].slice(0, n))),
      weight: 5,
    },
    { arbitrary: fc.tuple(idArb, verbArb).map(([id, verb]) => cbor.array([head(0, 8), id, verb])), weight: 1 },
    { arbitrary: cborArb, weight: 1 },
  )
  .filter((body) => !containsStop(body));

function containsStop(body: Buffer): boolean {
  // The owner may stop a server; a fuzzer that does would only prove that.
  return body.includes(Buffer.from('stop'));
}

/** Raw bytes for a fresh connection: random, or a valid stream mutated. */
export const bytesCaseArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.concat([PREAMBLE, b])),
  fc
    .tuple(
      fc.array(messageArb, { minLength: 1, maxLength: 3 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete', 'truncate')), { maxLength: 4 }),
    )
    .map(([messages, mutations]) => {
      let bytes = Buffer.concat([PREAMBLE, ...messages.map(frame)]);
      for (const [at, value, how] of mutations) {
        const i = at % (bytes.length + 1);
        if (how === 'flip' && i < bytes.length) bytes[i] = value;
        else if (how === 'insert') bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([value]), bytes.subarray(i)]);
        else if (how === 'delete') bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
        else if (how === 'truncate') bytes = bytes.subarray(0, i);
      }
      return bytes;
    })
    .filter((b) => !containsStop(b)),
);

// ---- drivers ---------------------------------------------------------------

export interface FuzzFigures {
  cases: number;
  /** Connections the server closed on us (a clean close is an allowed answer). */
  closes: number;
  /** Error frames received, by code. */
  errors: Record<string, number>;
  results: number;
  /** Frames from the server that were not valid server messages: must stay 0. */
  invalidFrames: number;
  /** Well-behaved calls that failed or answered wrong: must stay 0. */
  goodFailures: number;
}

function newFigures(): FuzzFigures {
  return { cases: 0, closes: 0, errors: {}, results: 0, invalidFrames: 0, goodFailures: 0 };
}

function tally(figures: FuzzFigures, peer: RawPeer, from: number): void {
  for (const frame of peer.frames.slice(from) as unknown[][]) {
    if (frame[0] === 2) figures.results++;
    if (frame[0] === 3) {
      const code = String((frame[2] as { code?: string }).code ?? (frame[2] as { name?: string }).name);
      figures.errors[code] = (figures.errors[code] ?? 0) + 1;
    }
  }
}

/** A well-behaved client's check: the server answers right, now. */
export async function checkGood(good: LIPClient, figures: FuzzFigures, n: number): Promise<void> {
  try {
    const sum = await good.callFunction('add', [n, 1000], {}, { timeoutMs: 5000 });
    if (sum !== n + 1000) figures.goodFailures++;
  } catch {
    figures.goodFailures++;
  }
}

const SENTINEL_BASE = 3_000_000_000;

/**
 * Grammar fuzz: each case is a few framed messages on a kept-open connection,
 * then a ping whose answer proves every earlier frame was handled. A connection
 * the server closes is replaced. After every case the good client is checked.
 */
export async function fuzzGrammar(dir: string, good: LIPClient, numRuns: number, seed?: number): Promise<FuzzFigures> {
  const figures = newFigures();
  const path = join(dir, 'lipcm-echo.sock');
  let peer: RawPeer | undefined;
  let sentinel = SENTINEL_BASE;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(messageArb, { minLength: 1, maxLength: 4 }), async (bodies) => {
        figures.cases++;
        if (!peer || peer.closed) {
          peer = await RawPeer.connect(path);
          peer.write(PREAMBLE);
        }
        const from = peer.frames.length;
        const id = ++sentinel;
        peer.write(Buffer.concat([...bodies.map(frame), frame(cbor.array([head(0, 8), head(0, id), cbor.text('ping')]))]));
        const reply = await peer.waitFrame((f) => f[1] === id, 10_000);
        if (!reply) figures.closes++;
        tally(figures, peer, from);
        figures.invalidFrames += peer.invalid.length;
        peer.invalid.length = 0;
        await checkGood(good, figures, figures.cases);
        return figures.invalidFrames === 0 && figures.goodFailures === 0;
      }),
      { numRuns, seed, endOnFailure: true },
    );
  } finally {
    peer?.destroy();
  }
  return figures;
}

/**
 * Byte fuzz: each case is random or mutated bytes on a fresh connection, which
 * we then end; the server must answer with valid frames or close, within 5 s.
 * Cases run `batch` at a time; after every batch the good client is checked.
 */
export async function fuzzBytes(dir: string, good: LIPClient, numRuns: number, batch = 20, seed?: number): Promise<FuzzFigures> {
  const figures = newFigures();
  const path = join(dir, 'lipcm-echo.sock');
  await fc.assert(
    fc.asyncProperty(fc.array(bytesCaseArb, { minLength: batch, maxLength: batch }), async (cases) => {
      await Promise.all(
        cases.map(async (bytes) => {
          figures.cases++;
          const peer = await RawPeer.connect(path);
          try {
            peer.socket.end(bytes);
            await peer.waitClosed(5000);
            figures.closes++;
            tally(figures, peer, 0);
            // A first byte that opens a CBOR map is the Python original's one-shot request: its answer is bare CBOR, not frames.
            const oneShot = bytes.length > 0 && bytes[0]! >= 0xa0 && bytes[0]! <= 0xbf;
            if (!oneShot) figures.invalidFrames += peer.invalid.length;
          } finally {
            peer.destroy();
          }
        }),
      );
      await checkGood(good, figures, figures.cases);
      return figures.invalidFrames === 0 && figures.goodFailures === 0;
    }),
    { numRuns: Math.ceil(numRuns / batch), seed, endOnFailure: true },
  );
  return figures;
}
