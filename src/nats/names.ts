/** How a function is named on NATS: its request subject, and a service name the micro protocol accepts. */

/** All replicas of a function share this queue group (the micro protocol's default), so NATS gives each call to one of them. */
export const NATS_QUEUE = 'q';

/** `lip.fn.<name>`: our names (letters, digits, `_`, `-`, `.`) are valid subject tokens. */
export function natsSubject(name: string): string {
  return `lip.fn.${name}`;
}

/** NATS service and endpoint names allow only letters, digits, `-` and `_`; the exact name travels in metadata. */
export function natsServiceName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}
