/** The function of the cached workload: pure CPU work worth caching (a few tens of µs at n = 4000). */
export function workload(n) {
  let x = 0;
  for (let i = 1; i <= n; i++) x += Math.sqrt(i) * Math.sin(i);
  return Math.round(x * 1000) / 1000;
}
