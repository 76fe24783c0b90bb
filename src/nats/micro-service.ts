/**
 * The NATS services ("micro") protocol, ADR-32, spoken on nats-core: a service answers
 * `$SRV.PING|INFO|STATS` (alone, with its name, with its name and id) and its endpoint takes
 * requests in the queue group `q`, so `nats micro ls/info/stats` see it. Its figures are ours:
 * every request is counted when its answer goes out, asynchronous calls and streams included.
 */
import { headers, nuid, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { NATS_QUEUE } from './names.js';

export interface MicroEndpoint {
  name: string;
  subject: string;
  metadata: Record<string, string>;
}

export interface MicroServiceConfig {
  name: string;
  version: string;
  description: string;
  metadata: Record<string, string>;
  endpoint: MicroEndpoint;
  /** What the endpoint's `data` in STATS holds (our own figures). */
  data: () => unknown;
  /** Takes one request of the endpoint. */
  handle: (msg: Msg) => void;
}

/** One request while it runs: when it started, for processing_time. */
export type RequestStart = number;

const VERBS = ['PING', 'INFO', 'STATS'] as const;
type Verb = (typeof VERBS)[number];
const encoder = new TextEncoder();

export class MicroService {
  readonly id = nuid.next();
  private readonly started = new Date().toISOString();
  private requests = 0;
  private errors = 0;
  private lastError = '';
  /** Nanoseconds, as ADR-32 counts them (a number: exact to 104 days of processing). */
  private processingNs = 0;
  private readonly subscriptions: Subscription[] = [];
  private endpointSubscription: Subscription | undefined;

  private constructor(private readonly config: MicroServiceConfig) {}

  static async start(nc: NatsConnection, config: MicroServiceConfig): Promise<MicroService> {
    const service = new MicroService(config);
    service.endpointSubscription = nc.subscribe(config.endpoint.subject, {
      queue: NATS_QUEUE,
      callback: (error, msg) => {
        if (!error) config.handle(msg);
      },
    });
    for (const verb of VERBS) {
      const answer = (error: Error | null, msg: Msg) => {
        if (!error && msg.reply) msg.respond(encoder.encode(JSON.stringify(service.answer(verb))));
      };
      for (const subject of [`$SRV.${verb}`, `$SRV.${verb}.${config.name}`, `$SRV.${verb}.${config.name}.${service.id}`]) {
        service.subscriptions.push(nc.subscribe(subject, { callback: answer }));
      }
    }
    await nc.flush();
    return service;
  }

  /** Marks the start of a request, for its processing time. */
  begin(): RequestStart {
    return performance.now();
  }

  /** A request was answered; `error` is what its error reply said, if it failed. */
  record(start: RequestStart, error?: string): void {
    this.requests++;
    this.processingNs += Math.round((performance.now() - start) * 1e6);
    if (error === undefined) return;
    this.errors++;
    this.lastError = error;
  }

  /**
   * Stops taking requests: the endpoint's subscription drains (what NATS delivered here before is
   * still handed over), and the service no longer answers $SRV.
   */
  async stop(): Promise<void> {
    await this.endpointSubscription?.drain().catch(() => {});
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }

  private answer(verb: Verb): unknown {
    const { name, version, metadata, description, endpoint } = this.config;
    const base = { name, id: this.id, version, metadata };
    const ep = { name: endpoint.name, subject: endpoint.subject, queue_group: NATS_QUEUE };
    if (verb === 'PING') return { type: 'io.nats.micro.v1.ping_response', ...base };
    if (verb === 'INFO') return { type: 'io.nats.micro.v1.info_response', ...base, description, endpoints: [{ ...ep, metadata: endpoint.metadata }] };
    return {
      type: 'io.nats.micro.v1.stats_response',
      ...base,
      started: this.started,
      endpoints: [
        {
          ...ep,
          num_requests: this.requests,
          num_errors: this.errors,
          last_error: this.lastError,
          processing_time: this.processingNs,
          average_processing_time: this.requests === 0 ? 0 : Math.round(this.processingNs / this.requests),
          data: this.config.data(),
        },
      ],
    };
  }
}

/** Headers of a micro error reply: what failed and an HTTP-like code (ADR-32). */
export function serviceErrorHeaders(code: number, description: string): ReturnType<typeof headers> {
  const fields = headers();
  fields.set('Nats-Service-Error', description);
  fields.set('Nats-Service-Error-Code', String(code));
  return fields;
}
