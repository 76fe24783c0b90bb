/**
 * Where a NATS client's answers arrive: one wildcard subscription on a fresh inbox, and a token per
 * request or stream (`<inbox>.<token>`), so a call costs no SUB/UNSUB of its own. It is the one
 * subscription the client keeps, and NATS restores it after a reconnect.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/nats-core';

export type ReplyHandler = (msg: Msg) => void;

export class ReplyInbox {
  private readonly handlers = new Map<string, ReplyHandler>();
  private readonly subscription: Subscription;
  private lastToken = 0;

  constructor(
    nc: NatsConnection,
    private readonly prefix: string,
  ) {
    this.subscription = nc.subscribe(`${prefix}.*`, {
      callback: (error, msg) => {
        if (!error) this.handlers.get(msg.subject.slice(prefix.length + 1))?.(msg);
      },
    });
  }

  /** A subject whose messages go to `handler` until `close(subject)`. */
  open(handler: ReplyHandler): string {
    this.lastToken = (this.lastToken + 1) % Number.MAX_SAFE_INTEGER;
    const token = this.lastToken.toString(36);
    this.handlers.set(token, handler);
    return `${this.prefix}.${token}`;
  }

  close(subject: string): void {
    this.handlers.delete(subject.slice(this.prefix.length + 1));
  }

  unsubscribe(): void {
    this.subscription.unsubscribe();
    this.handlers.clear();
  }
}
