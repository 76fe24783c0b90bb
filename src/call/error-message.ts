/** An Error message, encoded: the one place that knows what to send when its detail can't be. */
import type { RemoteErrorInfo } from '../errors.js';
import { encodeValue } from '../protocol/codec.js';
import { Kind } from '../protocol/messages.js';

/** What is kept of an error's message that would not fit in a frame. */
const CUT_MESSAGE_CHARS = 16 * 1024;

/**
 * `[Error, id, info]` as CBOR; when `info.data` can't be encoded, the bare name, message and code; when
 * the whole is over `maxBytes` (the peer's frame limit), the start of the message and no stack or data.
 */
export function encodeErrorMessage(id: number, info: RemoteErrorInfo, maxBytes = Number.POSITIVE_INFINITY): Buffer {
  let body: Buffer;
  try {
    body = encodeValue([Kind.Error, id, info]);
  } catch {
    body = bare(id, info, info.message);
  }
  if (body.length <= maxBytes) return body;
  const message = String(info.message);
  return bare(id, info, `${message.slice(0, CUT_MESSAGE_CHARS)}… (cut: the error's ${body.length} bytes are over the frame limit of ${maxBytes})`);
}

/** The most of an error's name or code kept when the error is cut: names and codes are short. */
const CUT_FIELD_CHARS = 256;

function bare(id: number, info: RemoteErrorInfo, message: string): Buffer {
  const name = String(info.name).slice(0, CUT_FIELD_CHARS);
  const code = typeof info.code === 'string' ? info.code.slice(0, CUT_FIELD_CHARS) : undefined;
  return encodeValue([Kind.Error, id, { name, message, code, lip: info.lip }]);
}
