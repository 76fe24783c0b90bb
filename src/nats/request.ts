/**
 * One request over NATS and its one reply, within the call's deadline. "No responders" means no
 * replica took the request (none subscribed at that moment: one restarting, a server of the cluster
 * lost), so it is sent again after a short wait, whatever the function. An `idempotent` function's
 * request is also sent again when an attempt went unanswered for a share of the deadline (its
 * replica may have died with it): every attempt's reply is still welcome, the first one wins.
 * Any other function is sent once: it fails with LIPConnectionError when the client's connection to
 * its NATS server is lost while it waits (its reply would be lost too), or with LIPTimeoutError at its
 * deadline (its replica died with it): never run twice.
 */
import type { Msg, MsgHdrs, NatsConnection } from '@nats-io/nats-core';
import { timerDelay } from '../call/deadline.js';
import { callAborted, callTimedOut } from '../client/call-errors.js';
import type { CallSettings } from '../client/function-connection.js';
import { LIPConnectionError, LIPNotFoundError, LIPProtocolError, type LIPError } from '../errors.js';
import type { ReplyInbox } from './reply-inbox.js';

/** A NATS connection with the inbox its answers arrive on. */
export interface NatsLink {
  readonly nc: NatsConnection;
  readonly inbox: ReplyInbox;
  /** Makes an empty set of headers (the NATS client's, loaded with the connection). */
  headers(): MsgHdrs;
  /** Calls `listener` whenever the connection to the server is lost (before it reconnects); returns how to stop. */
  watchDisconnect(listener: () => void): () => void;
  /**
   * While the connection is lost, resolves once it is back; undefined while connected. The NATS
   * client drops what was published while it reconnects, so requests wait for this instead.
   */
  reconnected(): Promise<void> | undefined;
}

export interface NatsRequest {
  /** The function, for error messages. */
  name: string;
  subject: string;
  body: Uint8Array;
  headers?: MsgHdrs | undefined;
  settings: CallSettings;
  /** The whole deadline in milliseconds, or undefined for none. */
  timeoutMs: number | undefined;
  /** May run twice: sent again when an attempt goes unanswered for a share of the deadline. */
  idempotent: boolean;
}

/** An idempotent call is sent again when an attempt went unanswered for this share of its deadline... */
export const ATTEMPT_SHARE = 0.25;
/** ...but never sooner than this... */
const MIN_ATTEMPT_MS = 100;
/** ...and, without a deadline, after this long. */
const ATTEMPT_WITHOUT_DEADLINE_MS = 5000;
/** Waits before asking again when no replica took a request, growing to the last. */
const NO_RESPONDERS_BACKOFF_MS = [20, 50, 100, 200, 400];
/** How long no replica at all may take the requests before the function counts as not served. */
export const NO_RESPONDERS_GRACE_MS = 3000;

/** Sends `request` and resolves with its reply (an error reply too: the caller reads it). */
export function natsRequest(link: NatsLink, request: NatsRequest): Promise<Msg> {
  const { name, subject, body, headers, settings, timeoutMs, idempotent } = request;
  const signal = settings.signal;
  if (signal?.aborted) return Promise.reject(callAborted(name, signal));
  return new Promise<Msg>((resolve, reject) => {
    const started = Date.now();
    const deadline = timeoutMs === undefined ? undefined : started + timeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let noRespondersSince: number | undefined;
    let backoff = 0;
    const left = () => (deadline === undefined ? Number.POSITIVE_INFINITY : deadline - Date.now());

    let settled = false;
    let sent = false;
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      unwatch?.();
      link.inbox.close(reply);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (error: LIPError) => {
      finish();
      reject(error);
    };
    const onAbort = () => fail(callAborted(name, signal!));
    const timedOut = () => fail(callTimedOut(name, timeoutMs, idempotent ? 'over NATS, on every replica tried' : 'over NATS'));

    const reply = link.inbox.open((msg) => {
      if (msg.data.length === 0 && msg.headers?.code === 503) {
        noReplica();
        return;
      }
      finish();
      resolve(msg);
    });

    const wait = (ms: number, then: () => void) => {
      clearTimeout(timer);
      timer = setTimeout(then, timerDelay(ms));
    };

    const send = (): void => {
      const back = link.reconnected();
      if (back) {
        // Not sent yet, so nothing can be lost or run: sent once the connection is back (the deadline still runs).
        if (deadline !== undefined) wait(left(), timedOut);
        void back.then(() => {
          if (!settled) send();
        });
        return;
      }
      sent = true;
      try {
        link.nc.publish(subject, body, headers ? { reply, headers } : { reply });
      } catch (error) {
        fail(publishFailure(name, error));
        return;
      }
      const remaining = left();
      if (!idempotent) {
        if (deadline !== undefined) wait(remaining, timedOut);
        return;
      }
      const attempt = timeoutMs === undefined ? ATTEMPT_WITHOUT_DEADLINE_MS : Math.max(MIN_ATTEMPT_MS, timeoutMs * ATTEMPT_SHARE);
      if (attempt >= remaining) wait(remaining, timedOut);
      else wait(attempt, send);
    };

    const noReplica = () => {
      const now = Date.now();
      noRespondersSince ??= now;
      const pause = NO_RESPONDERS_BACKOFF_MS[Math.min(backoff++, NO_RESPONDERS_BACKOFF_MS.length - 1)]!;
      if (now - noRespondersSince + pause > NO_RESPONDERS_GRACE_MS) {
        fail(new LIPNotFoundError(`Function '${name}' is not served on NATS (no responders for ${now - noRespondersSince} ms)`));
      } else if (pause >= left()) timedOut();
      else wait(pause, send);
    };

    // An idempotent call is sent again after the reconnect by its attempt timer; any other can only fail.
    const unwatch = idempotent
      ? undefined
      : link.watchDisconnect(() => {
          if (sent)
            fail(
              new LIPConnectionError(
                `'${name}': the connection to the NATS server was lost while waiting for the answer (not sent again: '${name}' is not idempotent; it may have run)`,
              ),
            );
        });
    signal?.addEventListener('abort', onAbort, { once: true });
    send();
  });
}

/** Why publishing a request failed, typed. */
export function publishFailure(name: string, error: unknown): LIPError {
  const message = error instanceof Error ? error.message : String(error);
  if (/max_payload/.test(message)) {
    return new LIPProtocolError(`'${name}': the request is larger than the NATS server's max_payload (1 MiB unless configured)`, { cause: error });
  }
  return new LIPConnectionError(`'${name}': NATS request failed: ${message}`, { cause: error });
}
