/**
 * Decoded byte strings are views into the frame they arrived in. A function
 * that keeps a small one (a cache, a map of sessions) would keep the whole
 * frame, up to 16 MiB, alive with it: small binaries are copied out.
 */

/** A frame this small is at most one socket read: nothing large to pin, nothing to walk. */
export const DETACH_ABOVE = 64 * 1024;

/**
 * Replaces, in place, every binary inside `value` (arrays, plain objects, Map
 * values) that views a buffer more than twice its size by a copy of its own.
 */
export function detachSmallBinaries(value: unknown): void {
  const pending: object[] = [];
  const visit = (child: unknown): unknown => {
    if (child === null || typeof child !== 'object') return child;
    if (ArrayBuffer.isView(child)) return detached(child);
    pending.push(child);
    return child;
  };
  visit(value);
  // A loop, not recursion: nesting is bounded by the codec, but a stack needn't be spent on it.
  for (let container = pending.pop(); container !== undefined; container = pending.pop()) {
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) {
        const child = container[i] as unknown;
        const kept = visit(child);
        if (kept !== child) container[i] = kept;
      }
    } else if (container instanceof Map) {
      for (const [key, child] of container) {
        const kept = visit(child);
        if (kept !== child) container.set(key, kept);
      }
    } else if (!(container instanceof Set) && !(container instanceof Date)) {
      const record = container as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const child = record[key];
        const kept = visit(child);
        // Defined, not assigned: an own key "__proto__" must stay a key.
        if (kept !== child) Object.defineProperty(record, key, { value: kept, writable: true, enumerable: true, configurable: true });
      }
    }
  }
}

function detached(view: ArrayBufferView): ArrayBufferView {
  if (view.buffer.byteLength <= 2 * view.byteLength) return view;
  if (Buffer.isBuffer(view)) return Buffer.from(view);
  if (view instanceof DataView) return new DataView(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
  return (view as unknown as { slice(): ArrayBufferView }).slice();
}
