/**
 * zeromq v6 on `ipc://`: a Router serving, a Dealer calling with a request id
 * frame so many calls can be in flight. Frames: [id, fn, body]; `add` bodies
 * are cbor-x, `echo` bodies are the raw bytes.
 */
import { join } from 'node:path';
import { Encoder } from 'cbor-x';
import { Dealer, Router } from 'zeromq';

const codec = new Encoder({ useRecords: false, tagUint8Array: false });
const endpoint = (dir) => `ipc://${join(dir, 'zmq.ipc')}`;

export async function serve({ dir }) {
  const router = new Router();
  await router.bind(endpoint(dir));
  void (async () => {
    try {
      for await (const [identity, id, fn, body] of router) {
        const reply = fn.toString() === 'add' ? codec.encode(codec.decode(body).reduce((a, b) => a + b)) : body;
        await router.send([identity, id, reply]);
      }
    } catch {
      // closed
    }
  })();
  return { close: async () => router.close() };
}

/** zeromq v6 allows one send in progress at a time: sends queue behind each other. */
function sender(socket) {
  const queue = [];
  let busy = false;
  const pump = async () => {
    busy = true;
    while (queue.length > 0) await socket.send(queue.shift());
    busy = false;
  };
  return (message) => {
    queue.push(message);
    if (!busy) void pump();
  };
}

export async function connect({ dir }) {
  const dealer = new Dealer();
  dealer.connect(endpoint(dir));
  const pending = new Map();
  let nextId = 1;
  const send = sender(dealer);
  void (async () => {
    try {
      for await (const [id, body] of dealer) {
        const key = id.readUInt32BE(0);
        const entry = pending.get(key);
        pending.delete(key);
        entry(body);
      }
    } catch {
      // closed
    }
  })();
  const request = (fn, body) =>
    new Promise((resolve) => {
      const id = nextId++;
      const idFrame = Buffer.allocUnsafe(4);
      idFrame.writeUInt32BE(id >>> 0, 0);
      pending.set(id >>> 0, resolve);
      send([idFrame, fn, body]);
    });
  return {
    async call(fn, args) {
      if (fn === 'add') return codec.decode(await request('add', codec.encode(args)));
      if (fn === 'echo') return request('echo', args[0]);
      throw new Error(`zmq peer has no ${fn}`);
    },
    close: async () => dealer.close(),
  };
}

export async function openIdle({ dir, n }) {
  const dealers = [];
  for (let i = 0; i < n; i++) {
    const dealer = new Dealer();
    dealer.connect(endpoint(dir));
    dealers.push(dealer);
  }
  // One round trip on each proves its connection is up.
  await Promise.all(
    dealers.map(async (dealer, i) => {
      const id = Buffer.alloc(4);
      id.writeUInt32BE(i, 0);
      await dealer.send([id, 'add', codec.encode([1, 2])]);
      await dealer.receive();
    }),
  );
  return {
    close: async () =>
      dealers.forEach((d) => {
        d.close();
      }),
  };
}
