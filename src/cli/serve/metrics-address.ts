/** Where `lip serve --metrics` listens, read from its argument (apart from the endpoint: the CLI parses it before loading the server side). */

/** Where the endpoint listens. */
export interface MetricsAddress {
  host: string;
  port: number;
}

/** `HOST:PORT`, `[IPv6]:PORT`, or a bare `PORT` (loopback); undefined when it is none of them. */
export function parseMetricsAddress(text: string): MetricsAddress | undefined {
  const match = /^(?:\[([^\]]+)\]:|([^:[\]]+):)?(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port > 65_535) return undefined;
  const host = match[1] ?? match[2] ?? '127.0.0.1';
  return { host, port };
}

/**
 * Whether `host` is only reachable from this machine: `localhost`, 127.0.0.0/8, `::1` (also as
 * an IPv4-mapped address). Anything else (`0.0.0.0`, `::`, a name) may be reached from other hosts.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === 'localhost' || h === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(h)) return true;
  return /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
