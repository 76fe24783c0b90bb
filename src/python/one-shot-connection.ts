/**
 * The client side of the Python original's protocol: one connection per
 * request (connect, write one CBOR map, half-close, read until the server
 * closes). Shaped like ClientConnection so LIPClient can hold either.
 */
import type { Socket } from 'node:net';
import { abortError, replyAsStream, type CallSettings, type FunctionConnection, type StreamSink } from '../client-connection.js';
import { LIPAbortError, LIPConnectionError, LIPProtocolError, LIPRemoteError, LIPTimeoutError } from '../errors.js';
import { DEFAULT_MAX_FRAME_BYTES, PROBE_PREAMBLE } from '../protocol/frame.js';
import type { ControlVerb } from '../protocol/messages.js';
import { OWN_TRUST, type SocketTrust } from '../transport/socket-trust.js';
import { connectTrusted } from '../transport/trusted-connect.js';
import { CborItemReader } from './cbor-item.js';
import { decodeOneShot, DOCSTRING_REQUEST, encodeCallRequest, parseReply } from './wire.js';

/** What answers on a socket: a lipmodule server, or the Python original (one request per connection). */
export type ServerKind = 'native' | 'one-shot';

/** A native connection opened by a probe, ready to be used: its Hello is in `head` or on its way. */
export interface ProbedConnection {
  socket: Socket;
  /** What the server sent so far (the start of its Hello frame). */
  head: Buffer;
}

export interface ProbeResult {
  kind: ServerKind;
  /** With `keep`, for a native server: the open connection, so the probe costs no connection of its own. */
  connection?: ProbedConnection;
}

/**
 * Tells the two kinds apart without side effects on either: sends PROBE_PREAMBLE, a CBOR map that the
 * original answers as a docstring request (no error in its log, nothing run) and that a lipmodule
 * server takes as its preamble (it answers with a Hello frame, whose first byte is 0). With `keep`,
 * a native connection is handed over instead of closed: under `lip serve --instances`, where each new
 * connection goes to the next worker, a client then takes exactly one turn.
 */
export function probeServer(path: string, timeoutMs: number, options: { keep?: boolean; trust?: SocketTrust } = {}): Promise<ProbeResult> {
  return connectTrusted(path, { timeoutMs, trust: options.trust ?? OWN_TRUST }).then(
    (socket) =>
      new Promise<ProbeResult>((resolve, reject) => {
        const timer = setTimeout(
          () => settle(new LIPConnectionError(`no answer from ${path} within ${timeoutMs} ms (neither a lipmodule server nor the Python original?)`)),
          timeoutMs,
        );
        timer.unref();
        const onData = (chunk: Buffer) => {
          const first = chunk[0]!;
          if (first === 0) settle({ kind: 'native' }, chunk);
          else if (first >= 0xa0 && first <= 0xbf) settle({ kind: 'one-shot' });
          else settle(new LIPProtocolError(`${path} answered the probe with byte 0x${first.toString(16).padStart(2, '0')}: not a LIP server`));
        };
        // Closed without a word: not a lipmodule server, which always says Hello. Treated as the original, as before.
        const onClosed = () => settle({ kind: 'one-shot' });
        const settle = (result: ProbeResult | Error, head?: Buffer) => {
          clearTimeout(timer);
          socket.off('data', onData);
          socket.off('end', onClosed);
          socket.off('close', onClosed);
          if (result instanceof Error) {
            socket.destroy();
            return reject(result);
          }
          if (result.kind === 'native' && options.keep && head && startsHello(head)) {
            socket.pause();
            return resolve({ kind: 'native', connection: { socket, head } });
          }
          if (result.kind === 'one-shot') {
            // Let the original finish sending its reply and close first: cutting it off would log a broken pipe there.
            socket.resume();
            socket.once('end', () => socket.destroy());
            setTimeout(() => socket.destroy(), timeoutMs).unref();
          } else socket.destroy();
          resolve(result);
        };
        socket.on('data', onData);
        socket.once('end', onClosed);
        socket.once('close', onClosed);
        socket.on('error', () => {});
        // No half-close: a native server must be able to go on with this connection.
        socket.write(PROBE_PREAMBLE);
      }),
  );
}

/**
 * Whether a native server's first frame is its Hello (`[0, {...}]`): only then is the connection worth
 * keeping. A refusal (an Error frame, id 0, e.g. ERR_LIP_BUSY) is left for a fresh connection to meet,
 * where a call is waiting to receive it.
 */
function startsHello(head: Buffer): boolean {
  return head.length >= 6 && head[4] === 0x82 && head[5] === 0x00;
}

/** Whether a native server or the Python original answers at `path`. */
export function probeServerKind(path: string, timeoutMs: number, trust: SocketTrust = OWN_TRUST): Promise<ServerKind> {
  return probeServer(path, timeoutMs, { trust }).then((result) => result.kind);
}

/** Remembers the kind of server at each socket path; concurrent callers share one probe. */
export class ServerKinds {
  private readonly known = new Map<string, Promise<ServerKind>>();

  /** `trust`: whose socket files may be probed (the probe writes to them). */
  constructor(private readonly trust: SocketTrust = OWN_TRUST) {}

  kindOf(path: string, timeoutMs: number): Promise<ServerKind> {
    return this.known.get(path) ?? this.remember(path, probeServerKind(path, timeoutMs, this.trust));
  }

  /** The kind, and, when this call had to probe a native server, the probe's connection to use. */
  open(path: string, timeoutMs: number): Promise<ProbeResult> {
    const known = this.known.get(path);
    if (known) return known.then((kind) => ({ kind }));
    const probe = probeServer(path, timeoutMs, { keep: true, trust: this.trust });
    this.remember(path, probe.then((result) => result.kind));
    return probe;
  }

  /** Forgets `path`: the next connection probes again (the server may have been replaced). */
  forget(path: string): void {
    this.known.delete(path);
  }

  private remember(path: string, kind: Promise<ServerKind>): Promise<ServerKind> {
    this.known.set(path, kind);
    kind.catch(() => {
      if (this.known.get(path) === kind) this.known.delete(path);
    });
    return kind;
  }
}

export interface OneShotConnectionOptions {
  connectTimeoutMs: number;
  /** Largest reply accepted, in bytes. @default 16 MiB */
  maxFrameBytes?: number | undefined;
  /** Whose socket files a request may be written to; checked on every connection. @default ourselves and root */
  trust?: SocketTrust;
}

/** Calls a function served by the Python original. Each request is its own connection. */
export class OneShotConnection implements FunctionConnection {
  readonly name: string;
  readonly path: string;
  /** The original sends no Hello. */
  readonly hello: undefined = undefined;
  private readonly connectTimeoutMs: number;
  private readonly maxReplyBytes: number;
  private readonly trust: SocketTrust;
  private readonly sockets = new Set<Socket>();
  private readonly failers = new Set<(error: Error) => void>();
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(name: string, path: string, options: OneShotConnectionOptions) {
    this.name = name;
    this.path = path;
    this.connectTimeoutMs = options.connectTimeoutMs;
    this.maxReplyBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.trust = options.trust ?? OWN_TRUST;
  }

  /** True once closed, or once a connect failed (the client then probes the path again). */
  get isClosed(): boolean {
    return this.closed;
  }

  get pendingCount(): number {
    return this.failers.size;
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  call(fn: string, args: unknown[], kwargs: Record<string, unknown> | null, settings: CallSettings): Promise<unknown> {
    let request: Buffer;
    try {
      request = encodeCallRequest(args, kwargs);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return this.exchange(fn, request, settings);
  }

  control(verb: ControlVerb, settings: CallSettings): Promise<unknown> {
    switch (verb) {
      case 'doc':
        return this.exchange(this.name, DOCSTRING_REQUEST, settings);
      case 'ping':
        // The docstring request is the original's only request that runs nothing.
        return this.exchange(this.name, DOCSTRING_REQUEST, settings).then(() => true);
      default:
        return Promise.reject(
          new LIPProtocolError(`'${this.name}' is served by the Python original, which does not support '${verb}' (only calls and docstrings)`),
        );
    }
  }

  /** The original has no streams: the call's value arrives as the stream's only item. */
  openStream(
    fn: string,
    args: unknown[],
    kwargs: Record<string, unknown> | null,
    settings: CallSettings,
    sink: StreamSink,
    _credit: number,
  ): { id: Promise<number>; done: Promise<unknown> } {
    return replyAsStream(this.call(fn, args, kwargs, settings), sink, (value) => [value]);
  }

  grantCredit(_id: number, _n: number): void {}

  cancel(_id: number, _error: Error): void {}

  /** Waits for requests in flight, then refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.failers.size > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cuts every request in flight; they reject with LIPConnectionError. */
  destroy(reason = 'the client was closed'): void {
    this.closed = true;
    const error = new LIPConnectionError(`'${this.name}': ${reason}`);
    for (const fail of [...this.failers]) fail(error);
  }

  private exchange(fn: string, request: Buffer, settings: CallSettings): Promise<unknown> {
    const signal = settings.signal;
    if (signal?.aborted) return Promise.reject(abortError(fn, signal));
    if (this.closed) return Promise.reject(new LIPConnectionError(`'${fn}': the connection is closed`));
    return new Promise((resolve, reject) => {
      let socket: Socket | undefined;
      let timer: NodeJS.Timeout | undefined;
      const reader = new CborItemReader(this.maxReplyBytes);
      const finish = (error: Error | undefined, value?: unknown) => {
        if (!this.failers.delete(fail)) return;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (socket) {
          this.sockets.delete(socket);
          socket.destroy();
        }
        if (error) reject(error);
        else resolve(value);
        if (this.failers.size === 0 && this.idleWaiters.length > 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const wake of waiters) wake();
        }
      };
      const fail = (error: Error) => finish(error);
      const onAbort = () => fail(abortError(fn, signal!));
      this.failers.add(fail);
      signal?.addEventListener('abort', onAbort, { once: true });
      const timeoutMs = settings.timeoutMs;
      if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
        timer = setTimeout(() => fail(new LIPTimeoutError(`'${fn}' did not answer within its deadline of ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      }

      const onData = (chunk: Buffer) => {
        let item: Buffer | undefined;
        try {
          item = reader.push(chunk);
        } catch (error) {
          fail(error as Error);
          return;
        }
        if (!item) return;
        let reply;
        try {
          reply = parseReply(decodeOneShot(item));
        } catch (error) {
          fail(error as Error);
          return;
        }
        if ('error' in reply) fail(new LIPRemoteError(fn, { name: 'PythonError', message: reply.error }));
        else finish(undefined, reply.result);
      };
      const onClosed = () => {
        // The original closes without a reply when a result can't be encoded or the request isn't a map.
        const detail = reader.received === 0 ? 'without a reply' : `after ${reader.received} bytes, before its reply was complete`;
        fail(new LIPProtocolError(`'${fn}': the server closed the connection ${detail} (${this.path})`));
      };

      // A new connection for every request, so the owner is checked for every request.
      connectTrusted(this.path, { timeoutMs: this.connectTimeoutMs, trust: this.trust }).then(
        (connected) => {
          if (!this.failers.has(fail)) {
            connected.destroy();
            return;
          }
          socket = connected;
          this.sockets.add(connected);
          connected.on('data', onData);
          connected.on('end', onClosed);
          connected.on('close', onClosed);
          connected.on('error', (error) => fail(new LIPConnectionError(`'${fn}': ${error.message} (${this.path})`, { cause: error })));
          // Half-closing ends the original's read loop cleanly whatever the request's size.
          connected.end(request);
        },
        (error: Error) => {
          // Nobody there any more: the client reopens, and probes, next time.
          this.closed = true;
          fail(error);
        },
      );
    });
  }
}
