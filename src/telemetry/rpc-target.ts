/**
 * One function as telemetry names it, built once per served function or
 * client connection so a traced call doesn't rebuild its attributes.
 */
import type { Attributes } from '@opentelemetry/api';
import { Attr, RPC_SYSTEM, STATUS_OK } from './semconv.js';

export interface RpcTargetOptions {
  /** The function's served name: `rpc.method` and the span name. */
  method: string;
  /** The socket path, or the NATS subject: `server.address`. */
  serverAddress: string;
  /** `unix` for a socket; NATS carries calls over TCP. */
  transport: 'unix' | 'tcp';
}

export class RpcTarget {
  readonly method: string;
  /** On every span, at its start (the conventions want them there, for samplers). */
  readonly spanAttributes: Attributes;
  /** On every measurement: low cardinality (no address). */
  readonly metricAttributes: Attributes;
  /** On the duration of a call that succeeded. */
  readonly okAttributes: Attributes;

  constructor(options: RpcTargetOptions) {
    this.method = options.method;
    this.spanAttributes = Object.freeze({
      [Attr.rpcSystemName]: RPC_SYSTEM,
      [Attr.rpcMethod]: options.method,
      [Attr.serverAddress]: options.serverAddress,
      [Attr.networkTransport]: options.transport,
    });
    this.metricAttributes = rpcMetricAttributes(options.method);
    this.okAttributes = Object.freeze({ ...this.metricAttributes, [Attr.rpcStatusCode]: STATUS_OK });
  }

  /** The duration's attributes for a call that failed with `type` and `status`. */
  failedAttributes(type: string, status: string): Attributes {
    return { ...this.metricAttributes, [Attr.errorType]: type, [Attr.rpcStatusCode]: status };
  }
}

/** The attributes of every measurement about `method`, whatever transport brought the call. */
export function rpcMetricAttributes(method: string): Attributes {
  return Object.freeze({ [Attr.rpcSystemName]: RPC_SYSTEM, [Attr.rpcMethod]: method });
}
