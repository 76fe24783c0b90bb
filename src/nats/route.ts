/**
 * A function reached over NATS, shaped like a socket connection so LIPClient
 * treats both alike. Streams arrive collected (one NATS reply) and are handed
 * to the reader one value at a time.
 */
import { replyAsStream, type CallSettings, type FunctionConnection, type StreamSink } from '../client/client-connection.js';
import type { ControlVerb } from '../protocol/messages.js';
import type { NatsDirectory } from './directory.js';

export class NatsRoute implements FunctionConnection {
  readonly hello = undefined;
  readonly isClosed = false;

  constructor(
    readonly name: string,
    private readonly directory: NatsDirectory,
  ) {}

  ready(): Promise<void> {
    return Promise.resolve();
  }

  call(fn: string, args: unknown[], kwargs: Record<string, unknown> | null, settings: CallSettings): Promise<unknown> {
    return this.directory.call(fn, args, kwargs, settings);
  }

  control(verb: ControlVerb, settings: CallSettings): Promise<unknown> {
    return this.directory.control(this.name, verb, settings);
  }

  openStream(
    fn: string,
    args: unknown[],
    kwargs: Record<string, unknown> | null,
    settings: CallSettings,
    sink: StreamSink,
    _credit: number,
  ): { id: Promise<number>; done: Promise<unknown> } {
    return replyAsStream(this.directory.call(fn, args, kwargs, settings, true), sink, (values) => values as unknown[]);
  }

  grantCredit(_id: number, _n: number): void {}

  cancel(_id: number, _error: Error): void {}

  async close(): Promise<void> {}

  destroy(): void {}
}
