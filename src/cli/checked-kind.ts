/**
 * The server kind as the commands report it. The probe takes a server that answers with a CBOR map,
 * or closes without a word, for the Python original; one that then fails a docstring request too
 * answered neither as lipmodule nor as the original: "not a LIP server", in every command alike.
 */
import { LIPNotLipServerError, LIPProtocolError } from '../errors.js';
import type { LIPClient } from '../index.js';

/** The server's kind; a "Python original" that can't answer a docstring request is not a LIP server (thrown). */
export async function checkedServerKind(client: LIPClient, name: string): Promise<'lipmodule' | 'python' | 'nats'> {
  const kind = await client.serverKind(name);
  if (kind === 'python') await client.getDocstring(name).catch((error: unknown) => Promise.reject(asNotLip(name, error)));
  return kind;
}

/** A failed call's error, or, when the server that failed it is not a LIP server, that. */
export async function explainFailure(client: LIPClient, name: string, error: unknown): Promise<unknown> {
  if (!(error instanceof LIPProtocolError) || error instanceof LIPNotLipServerError) return error;
  const confirmed = await checkedServerKind(client, name).then(
    () => undefined,
    (checked: unknown) => (checked instanceof LIPNotLipServerError ? checked : undefined),
  );
  return confirmed ?? error;
}

/** Runs `work` on `name`; a failure that comes from a server that is not a LIP server says so. */
export async function onFunction<T>(client: LIPClient, name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw await explainFailure(client, name, error);
  }
}

/** A Python original answers a docstring request with a map; a protocol error there means it isn't one. */
function asNotLip(name: string, error: unknown): unknown {
  return error instanceof LIPProtocolError ? new LIPNotLipServerError(name, { cause: error }) : error;
}
