/**
 * Hand-written baseline: `net` with 4-byte big-endian length + cbor-x frames,
 * request [id, fn, args], reply [id, value]. No framework. With `batch`, frames
 * written in the same tick are coalesced under one cork/uncork (one writev).
 */
import net from 'node:net';
import { join } from 'node:path';
import { Encoder } from 'cbor-x';

const codec = new Encoder({ useRecords: false, tagUint8Array: false, mapsAsObjects: true });
const path = (dir) => join(dir, 'net.sock');

function frame(value) {
  const body = codec.encode(value);
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.set(body, 4);
  return out;
}

/** Calls `onFrame(body)` for every whole frame; partial frames are kept as a chunk list and joined once. */
function reader(socket, onFrame) {
  let chunks = [];
  let held = 0;
  let need = -1;
  socket.on('data', (chunk) => {
    if (held > 0) {
      chunks.push(chunk);
      held += chunk.length;
      if (need < 0 && held >= 4) need = 4 + Buffer.concat(chunks, held).readUInt32BE(0);
      if (need < 0 || held < need) return;
      chunk = Buffer.concat(chunks, held);
      chunks = [];
      held = 0;
    }
    let offset = 0;
    need = -1;
    while (chunk.length - offset >= 4) {
      const end = offset + 4 + chunk.readUInt32BE(offset);
      if (end > chunk.length) {
        need = end - offset;
        break;
      }
      onFrame(chunk.subarray(offset + 4, end));
      offset = end;
    }
    if (offset < chunk.length) {
      chunks = [chunk.subarray(offset)];
      held = chunk.length - offset;
    }
  });
}

function writer(socket, batch) {
  if (!batch) return (buffer) => socket.write(buffer);
  let queued = null;
  const flush = () => {
    const frames = queued;
    queued = null;
    if (frames.length === 1) return void socket.write(frames[0]);
    socket.cork();
    for (const f of frames) socket.write(f);
    socket.uncork();
  };
  return (buffer) => {
    if (queued) return void queued.push(buffer);
    queued = [buffer];
    process.nextTick(flush);
  };
}

const functions = {
  add: (a, b) => a + b,
  echo: (value) => value,
};

export async function serve({ dir, batch }) {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    const write = writer(socket, batch);
    reader(socket, (body) => {
      const [id, fn, args] = codec.decode(body);
      write(frame([id, functions[fn](...args)]));
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
  const write = writer(socket, batch);
  reader(socket, (body) => {
    const [id, value] = codec.decode(body);
    const resolve = pending.get(id);
    pending.delete(id);
    resolve(value);
  });
  return {
    call(fn, args) {
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        write(frame([id, fn, args]));
      });
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

/** A busy server's full accept backlog makes a Unix connect fail with EAGAIN at once: wait and retry (bounded). */
async function connectRetrying(socketPath) {
  for (let attempt = 0; ; attempt++) {
    const socket = net.connect(socketPath);
    try {
      await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      return socket;
    } catch (error) {
      if (error.code !== 'EAGAIN' || attempt >= 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}
