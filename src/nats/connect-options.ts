/**
 * The `nats` option of `init()` and `LIPClient`: a server URL, a list of them, or the NATS client's own
 * connection options (`servers`, `user`/`pass`, `token`, `authenticator`, `tls`, `name`...) passed
 * through. Connecting loads the NATS client on first use, and nothing secret is ever put in a
 * message: servers are shown without the credentials a URL may carry.
 */
import type { NatsConnection } from '@nats-io/nats-core';
import type { NodeConnectionOptions } from '@nats-io/transport-node';
import { LIPConnectionError } from '../errors.js';

/** The NATS client's connection options (`@nats-io/transport-node`), as `connect()` takes them. */
export type NatsConnectionOptions = NodeConnectionOptions;

/** A NATS server URL, a list of them, or the NATS client's connection options. */
export type NatsOption = string | string[] | NatsConnectionOptions;

/** Checks a `nats` option; `option` names it in the TypeError, e.g. "LIPClient option 'nats'". */
export function assertNatsOption(value: unknown, option: string): asserts value is NatsOption | undefined {
  if (value === undefined || typeof value === 'string') return;
  if (Array.isArray(value)) {
    if (value.every((url) => typeof url === 'string')) return;
  } else if (value !== null && typeof value === 'object') {
    const servers = (value as { servers?: unknown }).servers;
    if (servers === undefined || typeof servers === 'string' || (Array.isArray(servers) && servers.every((url) => typeof url === 'string'))) return;
    throw new TypeError(`${option}.servers must be a URL or a list of URLs`);
  }
  throw new TypeError(`${option} must be a URL, a list of URLs, or NATS connection options`);
}

/** The servers of a `nats` option as one may print them: `user:password@` and `token@` left out. */
export function natsServersText(option: NatsOption): string {
  const servers = typeof option === 'string' || Array.isArray(option) ? option : (option.servers ?? '127.0.0.1:4222');
  return (Array.isArray(servers) ? servers : [servers]).map(withoutCredentials).join(',');
}

function withoutCredentials(url: string): string {
  return url.replace(/^([a-z]+:\/\/)?[^@/]*@/i, '$1');
}

/**
 * Connects to NATS (the client is loaded now, by those who use NATS). Reconnects for ever unless
 * the options say otherwise: a replica or client outlives a server restart or a cluster member's loss.
 */
export async function connectNats(option: NatsOption, name: string): Promise<NatsConnection> {
  const given = withUrlCredentials(typeof option === 'string' || Array.isArray(option) ? { servers: option } : option);
  const { connect } = await import('@nats-io/transport-node');
  try {
    return await connect({ name, maxReconnectAttempts: -1, reconnectTimeWait: 250, ...given });
  } catch (error) {
    // The NATS client's own message says what failed (an authorization violation, a TLS refusal); it carries no secret.
    const why = error instanceof Error ? error.message : String(error);
    throw new LIPConnectionError(`could not connect to NATS at ${natsServersText(option)}: ${why}`, { cause: error });
  }
}

/**
 * `nats://user:password@host` or `nats://token@host`, as the `nats` CLI takes them: the NATS client
 * for Node does not read credentials from a URL, so they move to `user`/`pass` or `token` (unless
 * those are given) and the URLs go without them.
 */
function withUrlCredentials(options: NatsConnectionOptions): NatsConnectionOptions {
  const servers = options.servers;
  if (servers === undefined) return options;
  const list = Array.isArray(servers) ? servers : [servers];
  let found: { user: string; pass: string | undefined } | undefined;
  for (const url of list) {
    const match = /^(?:[a-z]+:\/\/)?([^@/]*)@/i.exec(url);
    if (!match) continue;
    const [user, pass] = match[1]!.split(':', 2) as [string, string | undefined];
    found ??= { user: decodeURIComponent(user), pass: pass === undefined ? undefined : decodeURIComponent(pass) };
  }
  if (!found) return options;
  const stripped = list.map(withoutCredentials);
  const result: NatsConnectionOptions = { ...options, servers: stripped };
  if (options.user !== undefined || options.token !== undefined || options.authenticator !== undefined) return result;
  if (found.pass === undefined) result.token = found.user;
  else {
    result.user = found.user;
    result.pass = found.pass;
  }
  return result;
}
