/**
 * The names lipmodule's telemetry uses, in one place: OpenTelemetry semantic
 * conventions for RPC v1.45.0 (RPC stable; the names `@opentelemetry/semantic-conventions`
 * 1.45.0 lists as stable), plus the few
 * lipmodule-specific ones (prefixed `lipmodule.`). docs/OBSERVABILITY.md lists them.
 */

/** The conventions release these names follow. */
export const SEMCONV_VERSION = '1.45.0';

/** The schema of these names, given with the tracer and the meter so a backend knows which release they follow. */
export const SCHEMA_URL = `https://opentelemetry.io/schemas/${SEMCONV_VERSION}`;

/** The instrumentation scope: tracer and meter name. */
export const INSTRUMENTATION_NAME = 'lipmodule';

/** `rpc.system.name` of every lipmodule call, native socket and NATS alike. */
export const RPC_SYSTEM = 'lipmodule';

export const Attr = {
  rpcSystemName: 'rpc.system.name',
  /** The function's served name; also the span name. */
  rpcMethod: 'rpc.method',
  /** `OK`, or the error's ERR_LIP_* code (`rpc.response.status_code` in the release candidates up to v1.41). */
  rpcStatusCode: 'rpc.status_code',
  errorType: 'error.type',
  /** The socket path, or the NATS subject. */
  serverAddress: 'server.address',
  networkTransport: 'network.transport',
  /** How many values a stream gave (the conventions have no stream item count since v1.40). */
  streamItems: 'lipmodule.stream.items',
} as const;

/** The status code of a call that succeeded. */
export const STATUS_OK = 'OK';

export const MetricName = {
  serverDuration: 'rpc.server.call.duration',
  clientDuration: 'rpc.client.call.duration',
  serverActive: 'lipmodule.server.active_calls',
  cacheHits: 'lipmodule.cache.hits',
  cacheMisses: 'lipmodule.cache.misses',
} as const;
