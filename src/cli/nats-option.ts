/**
 * The `nats` option the CLI builds from `--nats`, `--nats-creds`, `--nats-user`/`--nats-pass`,
 * `--nats-token`, or, as the `nats` CLI does, NATS_URL, NATS_CREDS, NATS_USER, NATS_PASSWORD and
 * NATS_TOKEN. Flags win over the environment; without a server, NATS is not used at all.
 */
import { readFileSync } from 'node:fs';
import type { NatsConnectionOptions, NatsOption } from '../index.js';
import { CliError, ExitCode } from './exit-codes.js';

export interface NatsFlags {
  /** NATS servers, from --nats. */
  nats?: string[];
  natsCreds?: string;
  natsUser?: string;
  natsPass?: string;
  natsToken?: string;
}

/** The `nats` option for the library, or undefined when no server was named. */
export async function natsOptionOf(flags: NatsFlags, env: NodeJS.ProcessEnv = process.env): Promise<NatsOption | undefined> {
  const servers = flags.nats?.length ? flags.nats : splitUrls(env.NATS_URL);
  if (!servers.length) return undefined;
  const user = flags.natsUser ?? env.NATS_USER;
  const pass = flags.natsPass ?? env.NATS_PASSWORD;
  const token = flags.natsToken ?? env.NATS_TOKEN;
  const creds = flags.natsCreds ?? env.NATS_CREDS;
  if (user === undefined && pass === undefined && token === undefined && creds === undefined) return servers;
  const options: NatsConnectionOptions = { servers };
  if (user !== undefined) options.user = user;
  if (pass !== undefined) options.pass = pass;
  if (token !== undefined) options.token = token;
  if (creds !== undefined) {
    let text: Uint8Array;
    try {
      text = readFileSync(creds);
    } catch (error) {
      throw new CliError(`could not read the NATS credentials file ${creds}: ${(error as Error).message}`, ExitCode.Usage, { cause: error });
    }
    // Loaded only by those who give a credentials file.
    const { credsAuthenticator } = await import('@nats-io/nats-core');
    options.authenticator = credsAuthenticator(text);
  }
  return options;
}

function splitUrls(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean);
}
