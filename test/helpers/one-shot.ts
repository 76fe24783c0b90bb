/** One request of the Python original's protocol, as its clients make it: a bare CBOR map, then the reply read until the server closes. */
import { createConnection } from 'node:net';
import { encodeValue } from '../../src/protocol/codec.js';

/**
 * The reply's bytes. `halfClose` shuts the write side after the request, as PROTOCOL.md advises
 * clients of the original; without it the client writes and reads, as the original's own client does.
 */
export async function oneShotReply(path: string, request: unknown, options: { halfClose?: boolean } = {}): Promise<Buffer> {
  const socket = createConnection(path);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  if (options.halfClose) socket.end(encodeValue(request));
  else socket.write(encodeValue(request));
  await new Promise((resolve) => socket.once('close', resolve));
  return Buffer.concat(chunks);
}
