/**
 * What answers on a function's socket, as the commands report it. The client's probe takes a server
 * that answers with a CBOR map, or closes without a word, for the Python original; a server that then
 * fails a docstring request too answered neither as lipmodule nor as the original: "not a LIP server",
 * in every command alike.
 */
import type { LIPClient } from '../client/lip-client.js';
import { LIPProtocolError } from '../errors.js';

export type CheckedKind = 'lipmodule' | 'python' | 'nats';

const PROBE_SAYS_NOT_LIP = /: not a LIP server$/;

/** The error every command reports for such a server; `cause` says what it answered. */
export function notLipServer(name: string, cause: Error): LIPProtocolError {
  const detail = cause.message.replace(PROBE_SAYS_NOT_LIP, '');
  return new LIPProtocolError(`'${name}' is not a LIP server: it answered neither as lipmodule nor as the Python original (${detail})`, { cause });
}

export function isNotLipServer(error: unknown): boolean {
  return error instanceof LIPProtocolError && / is not a LIP server: /.test(error.message);
}

/** The server's kind; a "Python original" that can't answer a docstring request is not a LIP server (thrown). */
export async function checkedServerKind(client: LIPClient, name: string): Promise<CheckedKind> {
  const kind = await serverKind(client, name);
  if (kind === 'python') await client.getDocstring(name).catch((error: unknown) => Promise.reject(asNotLip(name, error)));
  return kind;
}

/** A failed call's error, or, when the server that failed it is not a LIP server, that. */
export async function explainFailure(client: LIPClient, name: string, error: unknown): Promise<unknown> {
  if (!(error instanceof LIPProtocolError) || isNotLipServer(error)) return error;
  if (PROBE_SAYS_NOT_LIP.test(error.message)) return notLipServer(name, error);
  const confirmed = await checkedServerKind(client, name).then(
    () => undefined,
    (checked: unknown) => (isNotLipServer(checked) ? checked : undefined),
  );
  return confirmed ?? error;
}

async function serverKind(client: LIPClient, name: string): Promise<CheckedKind> {
  try {
    return await client.serverKind(name);
  } catch (error) {
    throw error instanceof LIPProtocolError && PROBE_SAYS_NOT_LIP.test(error.message) ? notLipServer(name, error) : error;
  }
}

/** A Python original answers a docstring request with a map; a protocol error there means it isn't one. */
function asNotLip(name: string, error: unknown): unknown {
  return error instanceof LIPProtocolError ? notLipServer(name, error) : error;
}

/** Runs `work` on `name`; a failure that comes from a server that is not a LIP server says so. */
export async function onFunction<T>(client: LIPClient, name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw await explainFailure(client, name, error);
  }
}
