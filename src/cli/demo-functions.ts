/**
 * The example functions `lip demo` serves (they ship in dist/ so the demo runs
 * from the installed package). Also a template: `lip serve` any file like this.
 */
import { LIPModule } from '../index.js';

/** Adds two numbers. */
export const add = LIPModule()(function add(a: number, b: number): number {
  return a + b;
});

const fibDelayMs = 300;

/**
 * The n-th Fibonacci number, slowly: it waits 300 ms to stand for real work.
 * Results are cached (`lru: true`), so asking again is instant.
 */
export const slowFib = LIPModule({ lru: true, lruMax: 100 })(async function slowFib(n: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, fibDelayMs));
  let [a, b] = [0, 1];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
});

/** Divides a by b; dividing by zero raises a RangeError with code E_DIVIDE_BY_ZERO. */
export const divide = LIPModule()(function divide(a: number, b: number): number {
  if (b === 0) throw Object.assign(new RangeError(`cannot divide ${a} by zero`), { code: 'E_DIVIDE_BY_ZERO' });
  return a / b;
});

/** Counts down from `from`, one value every 150 ms, then says "liftoff": a stream. */
export const countdown = LIPModule()(async function* countdown(from = 3): AsyncGenerator<number | string> {
  for (let i = from; i > 0; i--) {
    yield i;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  yield 'liftoff';
});
