/**
 * How a stream travels over NATS, both sides. The caller's request names its inbox as the reply
 * subject; the replica answers there with an opening message (no body, the `Lip-Stream` header
 * naming the subject where it takes the caller's Credit and Cancel messages), then Item messages,
 * then End or Error, as on a socket. While a stream is open each side sends a message at least every
 * heartbeat (an empty one when it has nothing to say), so each notices when the other is gone.
 */

/** The header of a replica's opening message: where the caller sends Credit and Cancel. */
export const STREAM_CONTROL_HEADER = 'Lip-Stream';

/** Each side of an open stream says something at least this often. */
export const HEARTBEAT_MS = 1000;

/** A side that heard nothing from the other for this long takes it for gone. */
export const SILENCE_LIMIT_MS = 3 * HEARTBEAT_MS;

/** An empty message: a heartbeat. */
export const EMPTY = new Uint8Array(0);
