/**
 * The reader that finds the end of one CBOR item (the Python original's
 * messages have no length prefix): every sample whole, byte by byte, split at
 * every offset, with trailing bytes, malformed and oversized.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Encoder } from 'cbor-x';
import { ErrorCode, LIPProtocolError } from '../../src/errors.js';
import { CborItemReader } from '../../src/python/cbor-item.js';

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true, tagUint8Array: false });

const samples: [string, Buffer][] = [
  ['call add(2, 3)', Buffer.from('a26461726773820203666b7761726773a0', 'hex')],
  ['docstring', Buffer.from('a1647479706569646f63737472696e67', 'hex')],
  ['nested', cbor.encode({ args: [[1, [2, [3, {}]]], { a: [null, true, 1.5, -7, 2 ** 40] }], kwargs: { k: 'v'.repeat(300) } })],
  ['bytes of 70000', cbor.encode({ args: [Buffer.alloc(70_000, 7)], kwargs: {} })],
  ['tags: set, date, bignum', cbor.encode({ args: [new Set([1, 2]), new Date(0), 2n ** 70n], kwargs: {} })],
  // {_ "a": [_ 1, 2], "b": (_ h'01', h'02'), "c": 1(0)} with indefinite lengths and a tag.
  ['indefinite lengths', Buffer.from('bf61619f0102ff61625f41014102ff6163c100ff', 'hex')],
  ['empty containers', Buffer.from('a36161806162a06163f6', 'hex')],
  ['64-bit integer and float64', Buffer.from('a261611b00000100000000006162fb3ff8000000000000', 'hex')],
];

test('finds the end of every sample however it is split', () => {
  for (const [name, bytes] of samples) {
    assert.ok(new CborItemReader(1 << 20).push(bytes)?.equals(bytes), `${name}: whole`);
    // Byte by byte.
    const reader = new CborItemReader(1 << 20);
    for (let i = 0; i < bytes.length - 1; i++) assert.equal(reader.push(bytes.subarray(i, i + 1)), undefined, `${name}: complete too early at ${i}`);
    assert.ok(reader.push(bytes.subarray(bytes.length - 1))?.equals(bytes), `${name}: byte by byte`);
    // In two pieces, at every offset (the long ones at a sample of offsets).
    const step = bytes.length > 2000 ? 997 : 1;
    for (let cut = 1; cut < bytes.length; cut += step) {
      const split = new CborItemReader(1 << 20);
      assert.equal(split.push(bytes.subarray(0, cut)), undefined, `${name}: complete too early at ${cut}`);
      assert.ok(split.push(bytes.subarray(cut))?.equals(bytes), `${name}: split at ${cut}`);
    }
  }
});

test('ignores bytes after the item', () => {
  const [, call] = samples[0]!;
  const item = new CborItemReader(1024).push(Buffer.concat([call, Buffer.from('a0ffff', 'hex')]));
  assert.ok(item?.equals(call));
  assert.deepEqual(cbor.decode(item!), { args: [2, 3], kwargs: {} });
});

test('refuses malformed input', () => {
  for (const hex of ['a1fc', 'a16161ff', 'a161611c', 'dfa0', '1f']) {
    const reader = new CborItemReader(1024);
    assert.throws(
      () => {
        reader.push(Buffer.from(hex, 'hex'));
        reader.push(Buffer.from('00', 'hex'));
      },
      (e: unknown) => e instanceof LIPProtocolError && /malformed CBOR/.test(e.message),
      hex,
    );
  }
});

test('refuses more than the limit, and a declared length over it before its bytes arrive', () => {
  const big = cbor.encode({ args: [Buffer.alloc(5000)], kwargs: {} });
  assert.throws(
    () => new CborItemReader(4096).push(big.subarray(0, 20)),
    (e: LIPProtocolError) => e.code === ErrorCode.FrameTooLarge,
  );
  // An unfinished array of many small items: refused once the bytes pass the limit.
  const reader = new CborItemReader(100);
  assert.equal(reader.push(Buffer.from('a161619f', 'hex')), undefined);
  assert.throws(
    () => reader.push(Buffer.alloc(200)),
    (e: LIPProtocolError) => e.code === ErrorCode.FrameTooLarge,
  );
  // A whole item that is itself over the limit.
  const whole = Buffer.concat([Buffer.from('a16161985a', 'hex'), Buffer.alloc(180, 0x18)]);
  assert.throws(
    () => new CborItemReader(100).push(whole),
    (e: LIPProtocolError) => e.code === ErrorCode.FrameTooLarge,
  );
});
