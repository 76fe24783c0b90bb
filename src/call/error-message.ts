/** An Error message, encoded: the one place that knows what to send when its detail can't be. */
import type { RemoteErrorInfo } from '../errors.js';
import { encodeValue } from '../protocol/codec.js';
import { Kind } from '../protocol/messages.js';

/** `[Error, id, info]` as CBOR; when `info.data` can't be encoded, the bare name, message and code. */
export function encodeErrorMessage(id: number, info: RemoteErrorInfo): Buffer {
  try {
    return encodeValue([Kind.Error, id, info]);
  } catch {
    return encodeValue([Kind.Error, id, { name: info.name, message: info.message, code: info.code, lip: info.lip }]);
  }
}
