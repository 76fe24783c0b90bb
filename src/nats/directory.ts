/**
 * The client side of the NATS transport: finds lipmodule functions through
 * the services protocol ($SRV.INFO) and calls them with request/reply.
 */
import type { Msg, MsgHdrs, NatsConnection, RequestStrategy } from 'nats';
import { effectiveTimeout, MAX_TIMER_MS, remainingMs, timerDelay } from '../call/deadline.js';
import { callAborted } from '../client/call-errors.js';
import type { CallSettings } from '../client/function-connection.js';
import { fromRemoteErrorInfo, LIPConnectionError, LIPNotFoundError, LIPProtocolError, LIPTimeoutError, type LIPError } from '../errors.js';
import { decodeValue, encodeValue } from '../protocol/codec.js';
import { Kind, nextRequestId, parseServerMessage, type ControlVerb } from '../protocol/messages.js';
import type { TraceCarrier } from '../telemetry/propagation.js';
import { natsSubject } from './names.js';

/** One call over NATS; with `stream`, the answer is the list of every value the function produced. */
export interface NatsCall {
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown> | null;
  settings: CallSettings;
  stream: boolean;
}

/** How long discovery listens for services answering $SRV.INFO. */
const DISCOVERY_WAIT_MS = 500;

export class NatsDirectory {
  private connection: Promise<NatsConnection> | undefined;
  private known = new Set<string>();
  private discovered: Promise<void> | undefined;
  private lastId = 0;

  constructor(private readonly servers: string | string[]) {}

  /** Names of lipmodule functions served on NATS (any replica), sorted; discovered the first time. */
  async names(): Promise<string[]> {
    this.discovered ??= this.discover();
    await this.discovered;
    return [...this.known].sort();
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

  call({ name, args, kwargs, settings, stream }: NatsCall): Promise<unknown> {
    const timeoutMs = timeoutOf(settings);
    const options = timeoutMs || stream ? { ...(timeoutMs ? { timeoutMs } : {}), ...(stream ? { stream } : {}) } : null;
    return this.request(name, settings, (id) => [Kind.Call, id, name, args, kwargs, options]);
  }

  control(name: string, verb: ControlVerb, settings: CallSettings): Promise<unknown> {
    return this.request(name, settings, (id) => [Kind.Control, id, verb]);
  }

  /** Lets requests in flight finish, then disconnects. */
  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await (await connection.catch(() => undefined))?.drain().catch(() => {});
  }

  /** Disconnects now; requests in flight fail. */
  destroy(): void {
    const connection = this.connection;
    this.connection = undefined;
    void connection?.then((nc) => nc.close()).catch(() => {});
  }

  private nats(): Promise<NatsConnection> {
    // The nats package is loaded only by clients that use NATS.
    this.connection ??= import('nats')
      .then(({ connect }) => connect({ servers: this.servers, name: 'lipmodule-client' }))
      .catch((error: Error) => {
        this.connection = undefined;
        throw new LIPConnectionError(`could not connect to NATS at ${String(this.servers)}: ${error.message}`, { cause: error });
      });
    return this.connection;
  }

  private async discover(): Promise<void> {
    const nc = await this.nats();
    const replies = await nc.services.client({ strategy: 'jitterTimer' as RequestStrategy, maxWait: DISCOVERY_WAIT_MS, jitter: 100 }).info();
    const found = new Set<string>();
    for await (const info of replies) {
      const name = info.metadata?.['lip.name'];
      if (name) found.add(name);
    }
    this.known = found;
  }

  private async request(name: string, settings: CallSettings, build: (id: number) => unknown[]): Promise<unknown> {
    if (settings.signal?.aborted) throw callAborted(name, settings.signal);
    const nc = await this.nats();
    const id = (this.lastId = nextRequestId(this.lastId));
    const timeout = timerDelay(timeoutOf(settings) ?? MAX_TIMER_MS);
    const sent = nc.request(natsSubject(name), encodeValue(build(id)), settings.trace ? { timeout, headers: await traceHeaders(settings.trace) } : { timeout });
    // NATS cannot recall a request: aborting only stops the wait here.
    const reply = settings.signal
      ? await raceAbort(sent, settings.signal, name)
      : await sent.catch((error: unknown) => Promise.reject(natsFailure(name, error)));
    return this.answer(name, reply);
  }

  private answer(name: string, reply: Msg): unknown {
    const message = parseServerMessage(decodeValue(reply.data));
    if (message[0] === Kind.Result) return message[2];
    if (message[0] === Kind.Error) throw fromRemoteErrorInfo(name, message[2]);
    throw new LIPProtocolError(`'${name}': unexpected reply kind ${message[0]} over NATS`);
  }
}

function raceAbort(sent: Promise<Msg>, signal: AbortSignal, name: string): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(callAborted(name, signal));
    signal.addEventListener('abort', onAbort, { once: true });
    sent.then(
      (msg) => {
        signal.removeEventListener('abort', onAbort);
        resolve(msg);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(natsFailure(name, error));
      },
    );
  });
}

function natsFailure(name: string, error: unknown): LIPError {
  const code = (error as { code?: string }).code;
  // nats' ErrorCode.Timeout and ErrorCode.NoResponders, without loading the package for them.
  if (code === 'TIMEOUT') return new LIPTimeoutError(`'${name}' did not answer over NATS within its deadline`, { cause: error });
  if (code === 'MAX_PAYLOAD_EXCEEDED') {
    return new LIPProtocolError(`'${name}': the request is larger than the NATS server's max_payload (1 MiB unless configured)`, { cause: error });
  }
  if (code === '503') return new LIPNotFoundError(`Function '${name}' is not served on NATS (no responders)`, { cause: error });
  return new LIPConnectionError(`'${name}': NATS request failed: ${(error as Error).message}`, { cause: error });
}

/** What is left of the call's deadline when its time started earlier (first contact, an inherited deadline), else its timeout. */
function timeoutOf(settings: CallSettings): number | undefined {
  return settings.deadline === undefined ? effectiveTimeout(settings.timeoutMs) : Math.max(1, remainingMs(settings.deadline)!);
}

/** Over NATS, the trace context travels as the request's headers (nats is loaded already: the connection is open). */
async function traceHeaders(trace: TraceCarrier): Promise<MsgHdrs> {
  const { headers } = await import('nats');
  const fields = headers();
  for (const [key, value] of Object.entries(trace)) fields.set(key, value);
  return fields;
}
