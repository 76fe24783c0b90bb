/**
 * The callbacks and iterables of one call, on the caller's side: runs a callback when the server
 * calls it (CallbackCall) and answers, sends an iterable's items as the server grants credit
 * (ArgCredit), stops it on ArgStop. Everything stops when the call ends: a server can't make the
 * caller run a callback after that, nor make it hold more than its bounds.
 */
import { stopIterator } from '../call/iteration.js';
import { errorInfo, LIPBusyError, LIPProtocolError, ownErrorInfo, type RemoteErrorInfo } from '../errors.js';
import { Kind } from '../protocol/messages.js';
import type { ChannelValue } from './argument-finder.js';

/** Credit beyond this many outstanding items is ignored (as a server does for streams). */
const MAX_ARGUMENT_CREDIT = 65_536;

/** What a call's channels need of their connection. */
export interface CallerWire {
  /** Sends a message; throws if its values can't be encoded. */
  send(message: unknown[]): void;
  /** The socket holds more than it wants: wait for `drained` before writing more. */
  readonly congested: boolean;
  /** Resolves once the socket took what was written (or closed). */
  drained(): Promise<void>;
}

/** Callbacks running for one connection's server, and their bounds. */
export interface CallerSlots {
  running: number;
  readonly max: number;
  /** Frame bytes of the callback calls running (their arguments live as long as they run). */
  bytes: number;
  readonly maxBytes: number;
}

/** Reads the error a callback or iterable threw as the wire carries it: name, message, code (no stack: that stays here). */
function thrownInfo(thrown: unknown): RemoteErrorInfo {
  return errorInfo(thrown);
}

class ArgumentPump {
  private credit = 0;
  private iterator: AsyncIterator<unknown> | undefined;
  private running = false;
  stopped = false;

  constructor(
    private readonly callId: number,
    private readonly channel: number,
    private readonly source: AsyncIterable<unknown>,
    private readonly wire: CallerWire,
  ) {}

  grant(n: number): void {
    if (this.stopped) return;
    this.credit = Math.min(this.credit + n, MAX_ARGUMENT_CREDIT);
    if (!this.running) void this.run();
  }

  /** The server stopped reading, or the call ended: the generator returns (its `finally` runs). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.iterator) stopIterator(this.iterator);
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      this.iterator ??= this.source[Symbol.asyncIterator]();
      while (this.credit > 0 && !this.stopped) {
        // Credit is what the server will take, not room here: the socket must take what was sent first.
        if (this.wire.congested) {
          await this.wire.drained();
          continue;
        }
        const step = await this.iterator.next();
        if (this.stopped) return;
        if (step.done) {
          this.stopped = true;
          this.wire.send([Kind.ArgEnd, this.callId, this.channel]);
          return;
        }
        this.credit--;
        this.wire.send([Kind.ArgItem, this.callId, this.channel, step.value]);
      }
    } catch (error) {
      // The iterable threw, or an item can't be encoded: the server's loop throws it.
      if (this.stopped) return;
      this.stop();
      this.wire.send([Kind.ArgEnd, this.callId, this.channel, thrownInfo(error)]);
    } finally {
      this.running = false;
    }
  }
}

export class CallerChannels {
  private readonly pumps = new Map<number, ArgumentPump>();
  // Callback calls of this call holding a slot: given back when answered, or all when the call ends
  // (a callback that never answers holds nothing past its call).
  // (seq → the frame bytes of its arguments).
  private readonly holding = new Map<number, number>();
  private closed = false;

  constructor(
    private readonly callId: number,
    private readonly values: readonly ChannelValue[],
    private readonly wire: CallerWire,
    private readonly slots: CallerSlots,
  ) {}

  /** The server calls callback `channel` with arguments `bytes` long: it runs here, and its answer goes back as `seq`'s. */
  callback(channel: number, seq: number, args: unknown[], bytes: number): void {
    if (this.closed) return;
    const callback = this.values[channel - 1];
    if (typeof callback !== 'function') {
      this.answer(seq, ownErrorInfo(new LIPProtocolError(`channel ${channel} of this call is not a callback`)));
      return;
    }
    if (this.slots.running >= this.slots.max) {
      this.answer(seq, ownErrorInfo(new LIPBusyError(`${this.slots.running} callbacks are running for this connection, its limit (maxCallbackCalls)`)));
      return;
    }
    if (this.slots.running > 0 && this.slots.bytes + bytes > this.slots.maxBytes) {
      this.answer(seq, ownErrorInfo(new LIPBusyError(`the callbacks running for this connection hold ${this.slots.bytes} bytes of arguments, near its limit`)));
      return;
    }
    if (this.holding.has(seq)) return;
    this.slots.running++;
    this.slots.bytes += bytes;
    this.holding.set(seq, bytes);
    let result: unknown;
    try {
      result = (callback as (...args: unknown[]) => unknown)(...args);
    } catch (error) {
      this.settle(seq, undefined, error);
      return;
    }
    Promise.resolve(result).then(
      (value) => this.settle(seq, value, undefined, false),
      (error: unknown) => this.settle(seq, undefined, error),
    );
  }

  /** The server grants `n` more items of iterable `channel`. */
  credit(channel: number, n: number): void {
    if (this.closed) return;
    const source = this.values[channel - 1];
    if (source === undefined || typeof source === 'function') return;
    let pump = this.pumps.get(channel);
    if (!pump) {
      pump = new ArgumentPump(this.callId, channel, source, this.wire);
      this.pumps.set(channel, pump);
    }
    pump.grant(n);
  }

  /** The server stopped reading iterable `channel`. */
  stop(channel: number): void {
    this.pumps.get(channel)?.stop();
  }

  /** The call ended (answered, failed, cancelled, or its connection closed): nothing more runs or is sent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const bytes of this.holding.values()) this.release(bytes);
    this.holding.clear();
    for (const pump of this.pumps.values()) pump.stop();
  }

  /** A callback's answer; its slot is given back once the socket took it, so a server that doesn't read can't pile answers up here. */
  private settle(seq: number, value: unknown, error: unknown, failed = true): void {
    if (!this.closed) {
      try {
        if (failed) this.answer(seq, thrownInfo(error));
        else this.wire.send([Kind.CallbackResult, this.callId, seq, value]);
      } catch (encodeError) {
        // A result that can't be sent fails the callback call on the server, with the reason.
        this.answer(seq, ownErrorInfo(encodeError as Error));
      }
    }
    const bytes = this.holding.get(seq);
    if (bytes === undefined) return;
    this.holding.delete(seq);
    if (!this.wire.congested) this.release(bytes);
    else void this.wire.drained().then(() => this.release(bytes));
  }

  private release(bytes: number): void {
    this.slots.running--;
    this.slots.bytes -= bytes;
  }

  private answer(seq: number, info: RemoteErrorInfo): void {
    this.wire.send([Kind.CallbackError, this.callId, seq, info]);
  }
}
