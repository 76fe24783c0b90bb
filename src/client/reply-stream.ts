/**
 * For transports with one reply per request (the Python original, NATS): the reply's values, read
 * one by one. There is nothing to cancel on the other side, so leaving early just stops reading.
 */
export function replyStream(values: Promise<readonly unknown[]>): AsyncIterator<unknown> {
  // A reader that leaves before its first item never awaits the reply: its failure is not unhandled.
  values.catch(() => {});
  return (async function* () {
    yield* await values;
  })();
}
