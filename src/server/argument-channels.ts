/**
 * The callbacks and iterables of one native call, on the serving side: each slot the Call's
 * `channels` option names gets an async function (CallbackCall out, CallbackResult or
 * CallbackError back) or an ArgumentStream. All of them end with the call: calls still waiting
 * reject, later ones reject with LIPCallbackExpiredError.
 */
import { writeSlot, slotLabel } from '../protocol/channel-slots.js';
import { ChannelKind, Kind, nextRequestId, type ChannelSpec } from '../protocol/messages.js';
import { isDeadlinePassed } from '../call/context.js';
import { fromRemoteErrorInfo, LIPBusyError, LIPCallbackExpiredError, LIPTimeoutError, type RemoteErrorInfo } from '../errors.js';
import { ArgumentStream, type ArgumentStreamLimits } from './argument-stream.js';

/** Callback calls waiting for their answers on one connection: bounded by `max`. */
export interface CallbackSlots {
  running: number;
  readonly max: number;
}

/** What the channels of a call need of its connection. */
export interface ChannelsWire {
  /** Sends a message; throws if its values can't be encoded. */
  send(message: unknown[]): void;
  hold(bytes: number): boolean;
  release(bytes: number): void;
}

interface Waiting {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  label: string;
}

export class ArgumentChannels {
  private readonly waiting = new Map<number, Waiting>();
  private readonly streams = new Map<number, ArgumentStream>();
  private lastSeq = 0;
  private closedWith: Error | undefined;

  constructor(
    private readonly callId: number,
    private readonly wire: ChannelsWire,
    private readonly slots: CallbackSlots,
    private readonly limits: ArgumentStreamLimits,
  ) {}

  /** Puts a callback or a stream in every slot `specs` names. */
  place(specs: readonly ChannelSpec[], args: unknown[], kwargs: Record<string, unknown> | null): void {
    for (const [channel, kind, path] of specs) {
      const label = slotLabel(path);
      writeSlot(args, kwargs, path, kind === ChannelKind.Callback ? this.callback(channel, label) : this.stream(channel, label));
    }
  }

  /** What callback call `seq` returned. */
  result(seq: number, value: unknown): void {
    const waiting = this.take(seq);
    waiting?.resolve(value);
  }

  /** What callback call `seq` threw: a LIPRemoteError (or our own class, for the library's refusals). */
  error(seq: number, info: RemoteErrorInfo): void {
    const waiting = this.take(seq);
    waiting?.reject(fromRemoteErrorInfo(waiting.label, info));
  }

  /** An item of stream `channel`, `bytes` long as a frame. */
  item(channel: number, value: unknown, bytes: number): void {
    this.streams.get(channel)?.item(value, bytes);
  }

  /** Stream `channel` finished (or the caller's iterable threw). */
  end(channel: number, info: RemoteErrorInfo | undefined): void {
    const stream = this.streams.get(channel);
    stream?.end(info ? fromRemoteErrorInfo(`${this.labelOf(channel)}`, info) : undefined);
  }

  /** The call ended or was aborted: everything waiting rejects with `reason`, later uses with it too. */
  close(reason: Error): void {
    if (this.closedWith) return;
    // The signal carries the standard TimeoutError; a callback call or an iterable read cut by the deadline gets ours.
    const error = isDeadlinePassed(reason) ? new LIPTimeoutError(`${reason.message} before the caller answered`, { cause: reason }) : reason;
    this.closedWith = error;
    const waiting = [...this.waiting.values()];
    this.slots.running -= waiting.length;
    this.waiting.clear();
    for (const call of waiting) call.reject(error);
    for (const stream of this.streams.values()) stream.fail(error);
  }

  private readonly labels = new Map<number, string>();

  private labelOf(channel: number): string {
    return this.labels.get(channel) ?? `channel ${channel}`;
  }

  private take(seq: number): Waiting | undefined {
    const waiting = this.waiting.get(seq);
    if (!waiting) return undefined;
    this.waiting.delete(seq);
    this.slots.running--;
    return waiting;
  }

  private callback(channel: number, label: string): (...args: unknown[]) => Promise<unknown> {
    this.labels.set(channel, label);
    return (...args: unknown[]) => {
      const called = this.send(channel, label, args);
      // A call the function doesn't await (a progress report fired and forgotten) may fail, or be cut
      // short when the call ends: that must not be an unhandled rejection, which would end the process.
      called.catch(() => {});
      return called;
    };
  }

  /** One callback call: sent now, settled by the caller's answer or by the call's end. */
  private send(channel: number, label: string, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.closedWith) {
        // After its call ended the caller forgot the callback: say so rather than wait for ever.
        reject(this.closedWith instanceof LIPCallbackExpiredError ? new LIPCallbackExpiredError(`${label}: ${this.closedWith.message}`) : this.closedWith);
        return;
      }
      if (this.slots.running >= this.slots.max) {
        reject(new LIPBusyError(`${label}: ${this.slots.running} callback calls are waiting on this connection, its limit (maxCallbackCalls)`));
        return;
      }
      // Wraps after 2^32 - 1 callback calls, skipping any still waiting (as request ids do).
      do this.lastSeq = nextRequestId(this.lastSeq);
      while (this.waiting.has(this.lastSeq));
      const seq = this.lastSeq;
      // Sent first: arguments that can't be encoded reject this call alone.
      this.wire.send([Kind.CallbackCall, this.callId, channel, seq, args]);
      this.waiting.set(seq, { resolve, reject, label });
      this.slots.running++;
    });
  }

  private stream(channel: number, label: string): ArgumentStream {
    this.labels.set(channel, label);
    const callId = this.callId;
    const stream = new ArgumentStream(
      label,
      {
        grant: (n) => {
          if (!this.closedWith) this.wire.send([Kind.ArgCredit, callId, channel, n]);
        },
        stop: () => {
          if (!this.closedWith) this.wire.send([Kind.ArgStop, callId, channel]);
        },
        hold: (bytes) => this.wire.hold(bytes),
        release: (bytes) => this.wire.release(bytes),
      },
      this.limits,
    );
    this.streams.set(channel, stream);
    return stream;
  }
}
