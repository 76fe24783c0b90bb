/** Over NATS a call's trace context travels as its request's headers. */
import type { MsgHdrs } from '@nats-io/nats-core';
import { traceFields } from '../telemetry/propagation.js';

/** The trace context a request's headers carry (read only when tracing). */
export function traceCarrierOf(headers: MsgHdrs | undefined): Record<string, string> | undefined {
  if (!headers) return undefined;
  let carrier: Record<string, string> | undefined;
  for (const field of traceFields()) {
    if (!headers.has(field)) continue;
    carrier ??= {};
    carrier[field] = headers.get(field);
  }
  return carrier;
}
