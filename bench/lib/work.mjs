/** The function of the cached workload: pure CPU work worth caching (a few tens of µs at n = 4000). */
export function workload(n) {
  let x = 0;
  for (let i = 1; i <= n; i++) x += Math.sqrt(i) * Math.sin(i);
  return Math.round(x * 1000) / 1000;
}

/** The stream of large items: `n` Buffers of `bytes` each (one Buffer, yielded n times, as a producer of chunks would). */
export async function* blobs(n, bytes) {
  const item = Buffer.alloc(bytes, 0x5a);
  for (let i = 0; i < n; i++) yield item;
}
