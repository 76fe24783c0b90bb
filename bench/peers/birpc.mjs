/**
 * birpc 4: `createBirpc(functions, { post, on, serialize, deserialize })` on each end of a Unix
 * socket. birpc is message based and leaves the transport to the user (its README's WebSocket
 * example adds only a serializer), so a message is one 4-byte length-prefixed frame, one `write`
 * per message, with cbor-x as the serializer (the codec of every peer that has a choice).
 */
import net from 'node:net';
import { join } from 'node:path';
import { createBirpc } from 'birpc';
import { cbor } from '../lib/cbor.mjs';
import { connectRetrying } from '../lib/connect.mjs';
import { frameOf, readFrames } from '../lib/frames.mjs';

const path = (dir) => join(dir, 'birpc.sock');

const functions = {
  add: (a, b) => a + b,
  echo: (value) => value,
};

/** birpc's channel over one socket: a message is a frame. */
function channel(socket) {
  return {
    post: (data) => void socket.write(frameOf(data)),
    on: (onMessage) => readFrames(socket, onMessage),
    serialize: (message) => cbor.encode(message),
    deserialize: (body) => cbor.decode(body),
  };
}

export async function serve({ dir }) {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    // The server exposes its functions and calls nothing on the client.
    createBirpc(functions, channel(socket));
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(path(dir), resolve));
  return { close: () => new Promise((resolve) => server.close(resolve)) };
}

export async function connect({ dir }) {
  const socket = await connectRetrying(path(dir));
  socket.setNoDelay(true);
  const rpc = createBirpc({}, channel(socket));
  return {
    call(fn, args) {
      if (fn === 'add') return rpc.add(args[0], args[1]);
      if (fn === 'echo') return rpc.echo(args[0]);
      throw new Error(`birpc peer has no ${fn}`);
    },
    close: () => {
      rpc.$close();
      return new Promise((resolve) => socket.end(resolve));
    },
  };
}
