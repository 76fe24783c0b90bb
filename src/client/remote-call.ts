/**
 * What a function made by `client.bind()` returns. The type says a promise for
 * an ordinary function and an async iterable for an async generator, but at run
 * time bind() cannot tell which one the server has; so the call is both: a real
 * Promise of the (collected) result, and an AsyncIterable that streams. It
 * becomes whichever is used first: iterated at once (`for await (const x of
 * feed(3))`), it streams with back-pressure; otherwise, one microtask later, it
 * is sent as a plain call.
 */
export type RemoteCall<T> = Promise<T> & AsyncIterable<unknown>;

export function remoteCall<T>(call: () => Promise<T>, stream: () => AsyncIterable<unknown>): RemoteCall<T> {
  let streaming = false;
  let collected: Promise<T> | undefined;
  // An async function awaiting the call, so that a failure's stack still shows the caller's line: V8
  // follows a chain of awaiting async functions, and stops at a `.then()` or a promise with two reactions.
  const promise = (async function boundCall() {
    await undefined; // one microtask: time for a `for await` to start a stream instead
    // Iterated as a stream, the promise is moot: it resolves to undefined (the items came through the iterator).
    if (streaming) return undefined as T;
    collected = call();
    return await collected;
  })();
  return Object.assign(promise, {
    [Symbol.asyncIterator](): AsyncIterator<unknown> {
      if (collected) return itemsOf(collected)[Symbol.asyncIterator]();
      streaming = true;
      return stream()[Symbol.asyncIterator]();
    },
  });
}

/** Iterated after the plain call went out: the collected values, one by one. */
async function* itemsOf(result: Promise<unknown>): AsyncGenerator<unknown> {
  const value = await result;
  if (Array.isArray(value)) yield* value;
  else yield value;
}
