/**
 * The caller's side of a stream over NATS (stream-wire.ts says how it travels): the items go to a
 * StreamReader as they arrive, its credit goes back to the replica in small Credit messages, leaving
 * the loop early sends Cancel (the generator's `finally` runs on the replica), and a replica that
 * goes silent, a deadline or an abort fail the stream with a typed error.
 */
import type { Msg } from '@nats-io/nats-core';
import { timerDelay } from '../call/deadline.js';
import { callAborted, callTimedOut } from '../client/call-errors.js';
import type { CallSettings } from '../client/function-connection.js';
import { StreamReader } from '../client/stream-reader.js';
import { fromRemoteErrorInfo, LIPConnectionError, LIPNotFoundError, LIPProtocolError } from '../errors.js';
import { decodeValue, encodeValue } from '../protocol/codec.js';
import { Kind, parseServerMessage } from '../protocol/messages.js';
import { NO_RESPONDERS_GRACE_MS, publishFailure, type NatsLink } from './request.js';
import { EMPTY, HEARTBEAT_MS, SILENCE_LIMIT_MS, STREAM_CONTROL_HEADER } from './stream-wire.js';

export interface NatsStreamRequest {
  name: string;
  id: number;
  subject: string;
  /** Makes the Call message, given the credit it opens with. */
  call: Uint8Array;
  settings: CallSettings;
  timeoutMs: number | undefined;
  window: number;
  /** Told once when the stream ended, however (the route counts it in flight until then). */
  onEnd: () => void;
}

/** A stream's reader, and how to end it from outside (the client destroyed). */
export interface OpenNatsStream {
  reader: StreamReader;
  fail(error: Error): void;
}

const NO_RESPONDERS_RETRY_MS = 100;

export function openNatsStream(link: NatsLink, request: NatsStreamRequest): OpenNatsStream {
  const { name, id, subject, settings, timeoutMs, window } = request;
  let control: string | undefined;
  let pendingCredit = 0;
  let cancelWanted = false;
  let ended = false;
  let lastHeard = Date.now();
  let lastSent = Date.now();
  let noRespondersSince: number | undefined;
  let retry: NodeJS.Timeout | undefined;

  const toReplica = (body: Uint8Array) => {
    if (!control) return;
    try {
      link.nc.publish(control, body);
      lastSent = Date.now();
    } catch {
      // The connection is closing: the replica will notice the silence.
    }
  };

  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(heartbeat);
    clearTimeout(deadlineTimer);
    clearTimeout(retry);
    settings.signal?.removeEventListener('abort', onAbort);
    // A cancel asked for before the replica said where to send it waits for its opening message.
    if (!(cancelWanted && !control)) link.inbox.close(reply);
    else setTimeout(() => link.inbox.close(reply), SILENCE_LIMIT_MS).unref();
    request.onEnd();
  };

  /** Ends the stream for its reader with `error`, and stops it on the replica. */
  const fail = (error: Error) => {
    if (ended) return;
    cancelWanted = true;
    toReplica(encodeValue([Kind.Cancel, id]));
    end();
    reader.fail(error);
  };

  const reader = new StreamReader(name, {
    window,
    grantCredit: (n) => {
      if (control) toReplica(encodeValue([Kind.Credit, id, n]));
      else pendingCredit += n;
    },
    cancel: () => {
      cancelWanted = true;
      toReplica(encodeValue([Kind.Cancel, id]));
      end();
    },
  });

  const receive = (msg: Msg) => {
    lastHeard = Date.now();
    if (msg.data.length === 0) {
      if (msg.headers?.code === 503) return noReplica();
      const where = msg.headers?.get(STREAM_CONTROL_HEADER);
      if (where && !control) opened(where);
      return;
    }
    if (ended) return;
    let message;
    try {
      message = parseServerMessage(decodeValue(msg.data));
    } catch (error) {
      fail(new LIPProtocolError(`'${name}': a stream message over NATS could not be read: ${(error as Error).message}`, { cause: error }));
      return;
    }
    if (message[0] === Kind.Item) reader.item(message[2]);
    else if (message[0] === Kind.End) {
      end();
      reader.end();
    } else if (message[0] === Kind.Error) {
      end();
      reader.fail(fromRemoteErrorInfo(name, message[2]));
    }
  };

  const opened = (where: string) => {
    control = where;
    if (cancelWanted) {
      toReplica(encodeValue([Kind.Cancel, id]));
      link.inbox.close(reply);
      return;
    }
    if (pendingCredit > 0) toReplica(encodeValue([Kind.Credit, id, pendingCredit]));
    pendingCredit = 0;
  };

  const noReplica = () => {
    if (ended || control) return;
    noRespondersSince ??= Date.now();
    if (Date.now() - noRespondersSince >= NO_RESPONDERS_GRACE_MS) {
      fail(new LIPNotFoundError(`Function '${name}' is not served on NATS (no responders)`));
      return;
    }
    retry = setTimeout(send, NO_RESPONDERS_RETRY_MS);
  };

  const send = (): void => {
    const back = link.reconnected();
    if (back) {
      void back.then(() => {
        if (!ended) send();
      });
      return;
    }
    try {
      link.nc.publish(subject, request.call, settingsHeaders ? { reply, headers: settingsHeaders } : { reply });
    } catch (error) {
      fail(publishFailure(name, error));
    }
  };

  const beat = () => {
    const now = Date.now();
    if (now - lastHeard > SILENCE_LIMIT_MS) {
      const what = control ? 'the replica serving the stream stopped answering' : 'no replica took the stream';
      fail(new LIPConnectionError(`'${name}': ${what} (nothing heard over NATS for ${now - lastHeard} ms)`));
      return;
    }
    if (now - lastSent >= HEARTBEAT_MS) toReplica(EMPTY);
  };

  const onAbort = () => fail(callAborted(name, settings.signal!));
  const reply = link.inbox.open(receive);
  const settingsHeaders = settings.trace ? link.headers() : undefined;
  if (settingsHeaders && settings.trace) for (const [key, value] of Object.entries(settings.trace)) settingsHeaders.set(key, value);
  const heartbeat = setInterval(beat, HEARTBEAT_MS).unref();
  const deadlineTimer = timeoutMs === undefined ? undefined : setTimeout(() => fail(callTimedOut(name, timeoutMs, 'over NATS')), timerDelay(timeoutMs)).unref();
  if (settings.signal?.aborted) queueMicrotask(onAbort);
  else settings.signal?.addEventListener('abort', onAbort, { once: true });
  send();
  return { reader, fail };
}
