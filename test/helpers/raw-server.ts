/**
 * A raw lipmodule server for the client-side wire tests: says Hello (with the capabilities given),
 * then hands every decoded frame to the test, which answers with any frames it likes. No server
 * library in between, so it can misbehave as a hostile server would.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { decodeValue, encodeValue } from '../../src/protocol/codec.js';
import { FrameDecoder, joinFrame, PROBE_PREAMBLE } from '../../src/protocol/frame.js';
import type { AfterHook } from './temp-dir.js';

export interface RawConnection {
  socket: Socket;
  /** Every frame the client sent, decoded, in order. */
  received: unknown[];
  send(message: unknown): void;
}

/** Serves `name` in `dir`; `onFrame` sees each frame the client sends. */
export async function rawServer(
  t: AfterHook,
  dir: string,
  name: string,
  onFrame: (frame: unknown[], connection: RawConnection) => void,
  hello: Record<string, unknown> = { caps: ['channels'] },
): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    const connection: RawConnection = { socket, received: [], send: (message) => socket.write(joinFrame(encodeValue(message))) };
    const decoder = new FrameDecoder(64 * 1024 * 1024);
    let head: Buffer | undefined = Buffer.alloc(0);
    socket.on('error', () => {});
    connection.send([0, { v: 1, pid: process.pid, name, lib: 'raw-server/0', ...hello }]);
    socket.on('data', (chunk: Buffer) => {
      if (head !== undefined) {
        // The preamble first: the 4-byte one, or the 21-byte probe.
        head = Buffer.concat([head, chunk]);
        const length = head[0] === 0x4c ? 4 : PROBE_PREAMBLE.length;
        if (head.length < length) return;
        chunk = head.subarray(length);
        head = undefined;
      }
      for (const body of decoder.push(chunk)) {
        const frame = decodeValue(body) as unknown[];
        connection.received.push(frame);
        onFrame(frame, connection);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(join(dir, `lipcm-${name}.sock`), resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return server;
}
