/** How a function is named on NATS: its request subject, and a service name the micro protocol accepts. */

/** All replicas of a function share this queue group, so NATS gives each call to one of them. */
export const NATS_QUEUE = 'lip';

/** `lip.fn.<name>`: our names (letters, digits, `_`, `-`, `.`) are valid subject tokens. */
export function natsSubject(name: string): string {
  return `lip.fn.${name}`;
}

/** NATS service and endpoint names allow only letters, digits, `-` and `_`; the exact name travels in metadata. */
export function natsServiceName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Checks a `nats` option (a server URL or a list of them); `option` names it in the TypeError, e.g. "LIPClient option 'nats'". */
export function assertNatsServers(value: unknown, option: string): asserts value is string | string[] | undefined {
  if (value === undefined || typeof value === 'string') return;
  if (Array.isArray(value) && value.every((url) => typeof url === 'string')) return;
  throw new TypeError(`${option} must be a URL or a list of URLs`);
}
