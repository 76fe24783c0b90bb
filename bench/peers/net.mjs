/**
 * Hand-written baseline: `net` with 4-byte big-endian length + cbor-x frames,
 * request [id, fn, args], reply [id, value]. No framework. With `batch`, frames
 * written in the same tick are coalesced under one cork/uncork (one writev).
 * Streams: [id, item] frames then [id, null, true]; no window, only the socket's
 * own back-pressure (the writer waits for 'drain'), and the reader queues what arrives.
 */
import net from 'node:net';
import { join } from 'node:path';
import { cbor as codec } from '../lib/cbor.mjs';
import { connectRetrying } from '../lib/connect.mjs';
import { frameOf, frameWriter, readFrames } from '../lib/frames.mjs';
import { blobs } from '../lib/work.mjs';

const path = (dir) => join(dir, 'net.sock');

const frame = (value) => frameOf(codec.encode(value));

const functions = {
  add: (a, b) => a + b,
  echo: (value) => value,
};

const streams = {
  count: async function* count(n) {
    for (let i = 0; i < n; i++) yield i;
  },
  blobs,
};

async function serveStream(socket, id, items) {
  for await (const item of items) {
    if (socket.destroyed) return;
    if (!socket.write(frame([id, item]))) await new Promise((resolve) => socket.once('drain', resolve));
  }
  socket.write(frame([id, null, true]));
}

export async function serve({ dir, batch }) {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    const write = frameWriter(socket, { batch });
    readFrames(socket, (body) => {
      const [id, fn, args] = codec.decode(body);
      if (fn in streams) void serveStream(socket, id, streams[fn](...args));
      else write(frame([id, functions[fn](...args)]));
    });
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(path(dir), resolve));
  return { close: () => new Promise((resolve) => server.close(resolve)) };
}

export async function connect({ dir, batch }) {
  const socket = net.connect(path(dir));
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  socket.setNoDelay(true);
  const pending = new Map();
  let nextId = 1;
  const write = frameWriter(socket, { batch });
  // A call's entry takes its one reply; a stream's takes every item, and its end.
  readFrames(socket, (body) => {
    const [id, value, end] = codec.decode(body);
    const onReply = pending.get(id);
    if (!onReply.stream || end) pending.delete(id);
    onReply(value, end);
  });
  return {
    call(fn, args) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        write(frame([id, fn, args]));
      });
    },
    async *stream(fn, args) {
      const id = nextId++;
      const items = [];
      let ended = false;
      let wake;
      const onItem = (item, end) => {
        if (end) ended = true;
        else items.push(item);
        wake?.();
      };
      onItem.stream = true;
      pending.set(id, onItem);
      write(frame([id, fn, args]));
      for (;;) {
        if (items.length > 0) {
          // Everything that arrived so far, without a promise per item.
          const ready = items.splice(0);
          yield* ready;
        } else if (ended) return;
        else await new Promise((resolve) => (wake = resolve));
      }
    },
    close: () => new Promise((resolve) => socket.end(resolve)),
  };
}

export async function openIdle({ dir, n }) {
  const sockets = [];
  for (let i = 0; i < n; i++) {
    sockets.push(await connectRetrying(path(dir)));
  }
  return {
    close: async () =>
      sockets.forEach((s) => {
        s.destroy();
      }),
  };
}
