/**
 * First contact with a socket: is a lipmodule server or the Python original
 * answering there? The probe is bounded by its budget (a call's remaining
 * deadline, or the connect timeout), and the answer is remembered per path.
 */
import type { Socket } from 'node:net';
import { LIPConnectionError, LIPNotFoundError, LIPNotLipServerError, LIPProtocolError } from '../errors.js';
import { PROBE_PREAMBLE } from '../protocol/frame.js';
import { OWN_TRUST, type SocketTrust } from '../transport/socket-trust.js';
import { connectTrusted } from '../transport/trusted-connect.js';
import type { SocketState } from '../transport/unix-socket.js';

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

/** How long a probe may take in all (connecting, then the answer), and what running out of it means. */
export interface ProbeBudget {
  timeoutMs: number;
  /**
   * The error when the time runs out. A call's deadline makes it that call's LIPTimeoutError.
   * @default a LIPConnectionError: nobody answered
   */
  expired?: (() => Error) | undefined;
}

export interface ProbeOptions extends ProbeBudget {
  /** Hand over a native server's connection instead of closing it. */
  keep?: boolean;
  /** Whose socket files may be probed (the probe writes to them). @default ourselves and root */
  trust?: SocketTrust;
}

/**
 * Tells the two kinds apart without side effects on either: sends PROBE_PREAMBLE, a CBOR map that the
 * original answers as a docstring request (no error in its log, nothing run) and that a lipmodule
 * server takes as its preamble (it answers with a Hello frame, whose first byte is 0). With `keep`,
 * a native connection is handed over instead of closed: under `lip serve --instances`, where each new
 * connection goes to the next worker, a client then takes exactly one turn.
 */
export function probeServer(path: string, options: ProbeOptions): Promise<ProbeResult> {
  const { timeoutMs } = options;
  const started = Date.now();
  return new Promise<ProbeResult>((resolve, reject) => {
    let socket: Socket | undefined;
    let done = false;
    // One timer for the whole probe: connecting and the answer share the budget.
    const timer = setTimeout(() => settle(options.expired?.() ?? noAnswer(path, timeoutMs)), timeoutMs);
    timer.unref();
    const onData = (chunk: Buffer) => {
      const first = chunk[0]!;
      if (first === 0) settle({ kind: 'native' }, chunk);
      else if (first >= 0xa0 && first <= 0xbf) settle({ kind: 'one-shot' });
      else settle(new LIPProtocolError(`${path} answered the probe with byte 0x${first.toString(16).padStart(2, '0')}${PROBE_SAYS_NOT_LIP}`));
    };
    // Closed without a word: not a lipmodule server, which always says Hello. Treated as the original, as before.
    const onClosed = () => settle({ kind: 'one-shot' });
    const settle = (result: ProbeResult | Error, head?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!socket) {
        if (result instanceof Error) reject(result);
        else resolve(result);
        return;
      }
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
        const closing = socket;
        closing.resume();
        closing.once('end', () => closing.destroy());
        setTimeout(() => closing.destroy(), timeoutMs).unref();
      } else socket.destroy();
      resolve(result);
    };
    connectTrusted(path, { timeoutMs, trust: options.trust ?? OWN_TRUST }).then(
      (connected) => {
        if (done) return void connected.destroy();
        socket = connected;
        connected.on('data', onData);
        connected.once('end', onClosed);
        connected.once('close', onClosed);
        connected.on('error', () => {});
        // No half-close: a native server must be able to go on with this connection.
        connected.write(PROBE_PREAMBLE);
      },
      (error: Error) => {
        // A connect that ran out of time is the budget's to report: its timer is due now.
        if (Date.now() - started >= timeoutMs) return;
        settle(error);
      },
    );
  });
}

const PROBE_SAYS_NOT_LIP = ': not a LIP server';

/**
 * The error for `name`'s server when it answers neither as lipmodule nor as the Python original:
 * the probe's own finding, or `cause` (what it answered when taken for the original).
 */
export function notLipServer(name: string, cause: Error): LIPNotLipServerError {
  const detail = cause.message.endsWith(PROBE_SAYS_NOT_LIP) ? cause.message.slice(0, -PROBE_SAYS_NOT_LIP.length) : cause.message;
  return new LIPNotLipServerError(name, { cause, detail });
}

/** Whether the probe found that the server at a path answers neither as lipmodule nor as the original. */
export function probeSaysNotLip(error: unknown): error is LIPProtocolError {
  return error instanceof LIPProtocolError && error.message.endsWith(PROBE_SAYS_NOT_LIP);
}

/**
 * What answers at `path` (probed within `budget`): live, stale (refused: a file nobody listens on) or
 * missing. No answer in time, or not a LIP server: someone is there, so live. A live server's kind is
 * remembered in `kinds`, so the first call there needs no probe of its own.
 */
export async function probedState(kinds: ServerKinds, path: string, budget: ProbeBudget): Promise<SocketState> {
  try {
    await kinds.recheck(path, budget);
    return 'live';
  } catch (error) {
    if (error instanceof LIPNotFoundError) return 'missing';
    return (error as Error).cause ? 'stale' : 'live';
  }
}

function noAnswer(path: string, timeoutMs: number): LIPConnectionError {
  return new LIPConnectionError(`no answer from ${path} within ${timeoutMs} ms (neither a lipmodule server nor the Python original?)`);
}

/**
 * Whether a native server's first frame is its Hello (`[0, {...}]`): only then is the connection worth
 * keeping. A refusal (an Error frame, id 0, e.g. ERR_LIP_BUSY) is left for a fresh connection to meet,
 * where a call is waiting to receive it.
 */
function startsHello(head: Buffer): boolean {
  return head.length >= 6 && head[4] === 0x82 && head[5] === 0x00;
}

interface KnownKind {
  kind: Promise<ServerKind>;
  /** Set once the probe answered. */
  answer?: ServerKind;
  /** Set when the probe ran out of its budget: a caller with more time left probes again. */
  ranOut?: boolean;
}

/** Remembers the kind of server at each socket path; concurrent callers share one probe, each within its own budget. */
export class ServerKinds {
  private readonly known = new Map<string, KnownKind>();

  /** `trust`: whose socket files may be probed (the probe writes to them). */
  constructor(private readonly trust: SocketTrust = OWN_TRUST) {}

  kindOf(path: string, budget: ProbeBudget): Promise<ServerKind> {
    const known = this.known.get(path);
    if (known)
      return this.share(
        path,
        known,
        budget,
        (kind) => kind,
        (left) => this.kindOf(path, left),
      );
    return this.probe(path, budget, false).then((result) => result.kind);
  }

  /**
   * The kind, probed again unless a probe is under way: a listing asks who answers now, and a server
   * that was killed leaves its socket file (the remembered kind would call it live for ever).
   */
  recheck(path: string, budget: ProbeBudget): Promise<ServerKind> {
    if (this.known.get(path)?.answer) this.known.delete(path);
    return this.kindOf(path, budget);
  }

  /** The kind, and, when this call had to probe a native server, the probe's connection to use. */
  open(path: string, budget: ProbeBudget): Promise<ProbeResult> {
    const known = this.known.get(path);
    if (known)
      return this.share(
        path,
        known,
        budget,
        (kind) => ({ kind }),
        (left) => this.open(path, left),
      );
    return this.probe(path, budget, true);
  }

  /** Forgets `path`: the next connection probes again (the server may have been replaced). */
  forget(path: string): void {
    this.known.delete(path);
  }

  private probe(path: string, budget: ProbeBudget, keep: boolean): Promise<ProbeResult> {
    const entry: KnownKind = { kind: undefined as unknown as Promise<ServerKind> };
    const expired = () => {
      entry.ranOut = true;
      return budget.expired?.() ?? noAnswer(path, budget.timeoutMs);
    };
    const probe = probeServer(path, { timeoutMs: budget.timeoutMs, expired, keep, trust: this.trust });
    entry.kind = probe.then((result) => (entry.answer = result.kind));
    this.known.set(path, entry);
    entry.kind.catch(() => {
      if (this.known.get(path) === entry) this.known.delete(path);
    });
    return probe;
  }

  /** Another caller's probe: waited for within our own budget; if it ran out of its (shorter) time, ours goes on. */
  private share<T>(path: string, known: KnownKind, budget: ProbeBudget, answer: (kind: ServerKind) => T, again: (left: ProbeBudget) => Promise<T>): Promise<T> {
    if (known.answer) return Promise.resolve(answer(known.answer));
    const end = Date.now() + budget.timeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(budget.expired?.() ?? noAnswer(path, budget.timeoutMs)), budget.timeoutMs);
      timer.unref();
      known.kind.then(
        (kind) => {
          clearTimeout(timer);
          resolve(answer(kind));
        },
        (error: Error) => {
          clearTimeout(timer);
          const left = end - Date.now();
          if (known.ranOut && left > 0) resolve(again({ timeoutMs: left, expired: budget.expired }));
          else reject(error);
        },
      );
    });
  }
}
