/**
 * Which protocol a new connection speaks, from its first bytes: the native
 * preamble `LIP<version>`, the probe preamble (a CBOR map a client sends to learn
 * which kind of server answers; its sender reads native frames), or a bare CBOR
 * map (the Python original's one-shot request).
 */
import type { Socket } from 'node:net';
import { PREAMBLE, PROBE_PREAMBLE } from '../protocol/frame.js';

export type FirstBytes =
  /** Too few bytes to tell yet. */
  | 'more'
  /** The whole probe preamble: a native client asking which kind of server this is. */
  | 'probe'
  /** `LIP` and a version byte (the version is checked later). */
  | 'native'
  /** A bare CBOR map that is not the probe: the Python original's one-shot request. */
  | 'one-shot'
  /** Neither: not a client of ours. */
  | 'foreign';

export function classifyFirstBytes(bytes: Buffer): FirstBytes {
  if (bytes.length === 0) return 'more';
  if (startsProbe(bytes)) return bytes.length < PROBE_PREAMBLE.length ? 'more' : 'probe';
  const first = bytes[0]!;
  if (first >= 0xa0 && first <= 0xbf) return 'one-shot';
  if (bytes.length < PREAMBLE.length) return PREAMBLE.subarray(0, bytes.length).equals(bytes) ? 'more' : 'foreign';
  return bytes.subarray(0, 3).equals(PREAMBLE.subarray(0, 3)) ? 'native' : 'foreign';
}

/** Whether `bytes` are the probe preamble, or as much of it as has arrived. */
function startsProbe(bytes: Buffer): boolean {
  const probed = Math.min(bytes.length, PROBE_PREAMBLE.length);
  return bytes.subarray(0, probed).equals(PROBE_PREAMBLE.subarray(0, probed));
}

/** What the first bytes can turn out to be, once they say. */
export type Protocol = Exclude<FirstBytes, 'more'>;

/**
 * Reads a new connection's first bytes until they say which protocol it speaks,
 * then stops reading and tells `known`, with every byte read so far.
 */
export function sniffProtocol(socket: Socket, known: (protocol: Protocol, bytes: Buffer) => void): void {
  let sniffed: Buffer | undefined;
  const onData = (chunk: Buffer): void => {
    const bytes = sniffed ? Buffer.concat([sniffed, chunk]) : chunk;
    const protocol = classifyFirstBytes(bytes);
    if (protocol === 'more') {
      sniffed = bytes;
      return;
    }
    socket.off('data', onData);
    known(protocol, bytes);
  };
  socket.on('data', onData);
}
