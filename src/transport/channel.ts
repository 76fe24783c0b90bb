/**
 * What the server and client logic see of a connection: send a value, receive
 * values, close. Neither touches a socket directly, so another transport
 * (NATS, later) can stand in.
 */
export interface Channel {
  /** Encodes and sends one message. Throws LIPProtocolError if the value cannot be encoded. */
  send(message: unknown): void;
  /** Called with every decoded message, in order. Set by the owner. */
  onMessage: (message: unknown) => void;
  /** Called once, when the connection is gone; `error` says why if it did not end cleanly. */
  onClose: (error?: Error) => void;
  /** Flushes what was sent, then ends the connection. */
  close(): void;
  /** Ends the connection at once, dropping anything unsent. */
  destroy(error?: Error): void;
  readonly isClosed: boolean;
}
