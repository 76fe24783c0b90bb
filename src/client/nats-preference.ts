/**
 * Which way a name goes when the client also knows NATS: over NATS first (`prefer: 'nats'`, when
 * NATS serves it), or locally, and over NATS only when no local socket has it.
 */
import { LIPNotFoundError } from '../errors.js';
import type { NatsOption } from '../nats/connect-options.js';
import { NatsDirectory } from '../nats/directory.js';
import { NatsRoute } from '../nats/route.js';

export type Preference = 'local' | 'nats';

export class NatsPreference {
  readonly directory: NatsDirectory;

  constructor(
    nats: NatsOption,
    private readonly prefer: Preference,
  ) {
    this.directory = new NatsDirectory(nats);
  }

  /** Whether `name` goes over NATS without looking for a local socket first. */
  async goesFirst(name: string): Promise<boolean> {
    return this.prefer === 'nats' && (await this.serves(name));
  }

  /** Whether `name`, which finding locally failed with `error`, goes over NATS instead. */
  async takesOver(name: string, error: unknown): Promise<boolean> {
    return error instanceof LIPNotFoundError && (await this.serves(name));
  }

  route(name: string): NatsRoute {
    return new NatsRoute(name, this.directory);
  }

  /** Whether NATS has `name`, looking again once if the last discovery did not see it. */
  private async serves(name: string): Promise<boolean> {
    if (await this.directory.has(name)) return true;
    await this.directory.rediscover();
    return this.directory.has(name);
  }
}
