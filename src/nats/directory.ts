/**
 * The client side of the NATS transport: finds lipmodule functions through the services protocol
 * ($SRV.INFO, with whether each is idempotent) and calls them (request.ts) or streams them
 * (stream-call.ts) over one connection and one reply inbox. The NATS client is loaded on first use.
 */
import type { Msg, MsgHdrs } from '@nats-io/nats-core';
import { effectiveTimeout, remainingMs } from '../call/deadline.js';
import type { CallSettings, StreamRequest } from '../client/function-connection.js';
import { fromRemoteErrorInfo, LIPProtocolError } from '../errors.js';
import { decodeValue, encodeValue } from '../protocol/codec.js';
import { Kind, nextRequestId, parseServerMessage, type CallOptions, type ControlVerb } from '../protocol/messages.js';
import type { TraceCarrier } from '../telemetry/propagation.js';
import { connectNats, type NatsOption } from './connect-options.js';
import { natsSubject } from './names.js';
import { ReplyInbox } from './reply-inbox.js';
import { natsRequest, type NatsLink } from './request.js';
import { openNatsStream, type OpenNatsStream } from './stream-call.js';

/** One call over NATS; with `stream`, the answer is the list of every value the function produced. */
export interface NatsCall {
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown> | null;
  settings: CallSettings;
}

/** How long discovery listens for services answering $SRV.INFO... */
const DISCOVERY_WAIT_MS = 500;
/** ...or this long after the last answer, when answers came. */
const DISCOVERY_QUIET_MS = 150;

export class NatsDirectory {
  private link: Promise<NatsLink> | undefined;
  /** Names served on NATS, and whether each is idempotent. */
  private known = new Map<string, { idempotent: boolean }>();
  private discovered: Promise<void> | undefined;
  private lastId = 0;

  constructor(private readonly option: NatsOption) {}

  /** Names of lipmodule functions served on NATS (any replica), sorted; discovered the first time. */
  async names(): Promise<string[]> {
    this.discovered ??= this.discover();
    await this.discovered;
    return [...this.known.keys()].sort();
  }

  /** Discovers again, then returns the names as `names()` does. */
  rediscover(): Promise<string[]> {
    this.discovered = this.discover();
    return this.names();
  }

  async has(name: string): Promise<boolean> {
    await this.names();
    return this.known.has(name);
  }

  async call({ name, args, kwargs, settings }: NatsCall): Promise<unknown> {
    const timeoutMs = timeoutOf(settings);
    const options: CallOptions | null = timeoutMs ? { timeoutMs } : null;
    const idempotent = this.known.get(name)?.idempotent === true;
    return this.request(name, settings, timeoutMs, idempotent, (id) => [Kind.Call, id, name, args, kwargs, options]);
  }

  control(name: string, verb: ControlVerb, settings: CallSettings): Promise<unknown> {
    // Reading figures or docs twice harms nothing.
    return this.request(name, settings, timeoutOf(settings), true, (id) => [Kind.Control, id, verb]);
  }

  /** A stream whose items arrive as the replica yields them, under the reader's credit. */
  async stream({ fn, args, kwargs, settings, window }: StreamRequest, onEnd: () => void): Promise<OpenNatsStream> {
    const link = await this.nats();
    const id = (this.lastId = nextRequestId(this.lastId));
    const timeoutMs = timeoutOf(settings);
    const options: CallOptions = { stream: true, credit: window, ...(timeoutMs ? { timeoutMs } : {}) };
    const call = encodeValue([Kind.Call, id, fn, args, kwargs, options]);
    return openNatsStream(link, { name: fn, id, subject: natsSubject(fn), call, settings, timeoutMs, window, onEnd });
  }

  /** Lets requests in flight finish, then disconnects. */
  async close(): Promise<void> {
    const link = this.link;
    this.link = undefined;
    const nc = link && (await link.catch(() => undefined))?.nc;
    // A drain fails while the server is away; close then, or the client would go on reconnecting for ever.
    if (nc) await nc.drain().catch(() => nc.close());
  }

  /** Disconnects now; requests in flight fail. */
  destroy(): void {
    const link = this.link;
    this.link = undefined;
    void link?.then(({ nc }) => nc.close()).catch(() => {});
  }

  private nats(): Promise<NatsLink> {
    this.link ??= (async () => {
      const nc = await connectNats(this.option, 'lipmodule-client');
      const core = await import('@nats-io/nats-core');
      const onDisconnect = new Set<() => void>();
      let back: { promise: Promise<void>; resolve: () => void } | undefined;
      void (async () => {
        for await (const status of nc.status()) {
          if (status.type === 'disconnect') {
            if (!back) {
              let resolve!: () => void;
              back = { promise: new Promise<void>((r) => (resolve = r)), resolve };
            }
            for (const listener of [...onDisconnect]) listener();
          } else if (status.type === 'reconnect' && back) {
            back.resolve();
            back = undefined;
          }
        }
      })().catch(() => {});
      return {
        nc,
        inbox: new ReplyInbox(nc, core.createInbox()),
        headers: core.headers,
        watchDisconnect: (listener: () => void) => {
          onDisconnect.add(listener);
          return () => onDisconnect.delete(listener);
        },
        reconnected: () => back?.promise,
      };
    })().catch((error: unknown) => {
      this.link = undefined;
      throw error;
    });
    return this.link;
  }

  private async discover(): Promise<void> {
    const link = await this.nats();
    const found = new Map<string, { idempotent: boolean }>();
    await new Promise<void>((resolve) => {
      let quiet: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(all);
        clearTimeout(quiet);
        link.inbox.close(reply);
        resolve();
      };
      const all = setTimeout(done, DISCOVERY_WAIT_MS);
      const reply = link.inbox.open((msg) => {
        const metadata = serviceMetadata(msg);
        const name = metadata?.['lip.name'];
        if (name) found.set(name, { idempotent: metadata['lip.idempotent'] === 'true' });
        clearTimeout(quiet);
        quiet = setTimeout(done, DISCOVERY_QUIET_MS);
      });
      link.nc.publish('$SRV.INFO', undefined, { reply });
    });
    this.known = found;
  }

  private async request(
    name: string,
    settings: CallSettings,
    timeoutMs: number | undefined,
    idempotent: boolean,
    build: (id: number) => unknown[],
  ): Promise<unknown> {
    const link = await this.nats();
    const id = (this.lastId = nextRequestId(this.lastId));
    const body = encodeValue(build(id));
    const headers = settings.trace ? traceHeaders(link, settings.trace) : undefined;
    const reply = await natsRequest(link, { name, subject: natsSubject(name), body, headers, settings, timeoutMs, idempotent });
    const message = parseServerMessage(decodeValue(reply.data));
    if (message[0] === Kind.Result) return message[2];
    if (message[0] === Kind.Error) throw fromRemoteErrorInfo(name, message[2]);
    throw new LIPProtocolError(`'${name}': unexpected reply kind ${message[0]} over NATS`);
  }
}

/** The metadata of a $SRV.INFO answer, or undefined for anything else. */
function serviceMetadata(msg: Msg): Record<string, string> | undefined {
  try {
    const info = JSON.parse(new TextDecoder().decode(msg.data)) as { metadata?: unknown };
    return info.metadata !== null && typeof info.metadata === 'object' ? (info.metadata as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

/** What is left of the call's deadline when its time started earlier (first contact, an inherited deadline), else its timeout. */
function timeoutOf(settings: CallSettings): number | undefined {
  return settings.deadline === undefined ? effectiveTimeout(settings.timeoutMs) : Math.max(1, remainingMs(settings.deadline)!);
}

/** Over NATS, the trace context travels as the request's headers. */
function traceHeaders(link: NatsLink, trace: TraceCarrier): MsgHdrs {
  const fields = link.headers();
  for (const [key, value] of Object.entries(trace)) fields.set(key, value);
  return fields;
}
