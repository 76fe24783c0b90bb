/**
 * capnweb 0.12 (Cap'n Web): an `RpcTarget` served by an `RpcSession` on each connection, called
 * through the session's main stub (`await api.add(a, b)`). The library's custom transport is an
 * `RpcTransport` (send a message, `receive()` the next one); on a Unix socket a message is one
 * 4-byte length-prefixed frame. The transport takes capnweb's `jsonCompatibleWithBytes` level, meant
 * for CBOR (bytes stay raw instead of base64 in JSON), and encodes with cbor-x like the other peers.
 */
import net from 'node:net';
import { join } from 'node:path';
import { RpcSession, RpcTarget } from 'capnweb';
import { cbor } from '../lib/cbor.mjs';
import { connectRetrying } from '../lib/connect.mjs';
import { frameOf, readFrames } from '../lib/frames.mjs';

const path = (dir) => join(dir, 'capnweb.sock');

class BenchApi extends RpcTarget {
  add(a, b) {
    return a + b;
  }

  echo(value) {
    return value;
  }
}

/** capnweb's RpcTransport over one socket: messages in, a queue of decoded messages out. */
class SocketTransport {
  encodingLevel = 'jsonCompatibleWithBytes';
  #socket;
  #received = [];
  #waiting = [];
  #error;

  constructor(socket) {
    this.#socket = socket;
    readFrames(socket, (body) => this.#deliver(cbor.decode(body)));
    socket.once('close', () => this.#fail(new Error('connection closed')));
    socket.on('error', (error) => this.#fail(error));
  }

  send(message) {
    const frame = frameOf(cbor.encode(message));
    this.#socket.write(frame);
    return frame.length;
  }

  receive() {
    if (this.#received.length > 0) return Promise.resolve(this.#received.shift());
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  abort() {
    this.#socket.destroy();
  }

  #deliver(message) {
    const waiter = this.#waiting.shift();
    if (waiter) waiter.resolve(message);
    else this.#received.push(message);
  }

  #fail(error) {
    this.#error ??= error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#error);
  }
}

export async function serve({ dir }) {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    new RpcSession(new SocketTransport(socket), new BenchApi());
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(path(dir), resolve));
  return { close: () => new Promise((resolve) => server.close(resolve)) };
}

export async function connect({ dir }) {
  const socket = await connectRetrying(path(dir));
  socket.setNoDelay(true);
  const api = new RpcSession(new SocketTransport(socket)).getRemoteMain();
  return {
    call(fn, args) {
      if (fn === 'add') return api.add(args[0], args[1]);
      if (fn === 'echo') return api.echo(args[0]);
      throw new Error(`capnweb peer has no ${fn}`);
    },
    close: async () => {
      api[Symbol.dispose]();
      socket.end();
    },
  };
}
