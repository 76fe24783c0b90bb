/**
 * A stream that starts when it is first read: only then is its function's connection found, its
 * clock started and its request sent. Failures carry the reader's call site.
 */
import { atCallSite } from './call-site.js';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ value: undefined, done: true });

export class LazyStream<T> implements AsyncIterator<T> {
  private opened: Promise<AsyncIterator<unknown>> | undefined;
  private left = false;

  constructor(private readonly open: () => Promise<AsyncIterator<unknown>>) {}

  async next(): Promise<IteratorResult<T>> {
    try {
      if (this.left) return DONE;
      this.opened ??= this.open();
      const stream = await this.opened;
      return (await stream.next()) as IteratorResult<T>;
    } catch (error) {
      throw atCallSite(error, this.next);
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.left = true;
    // Still opening: wait until the request is out, so that it can be stopped.
    const stream = await this.opened?.catch(() => undefined);
    await stream?.return?.();
    return DONE;
  }
}
