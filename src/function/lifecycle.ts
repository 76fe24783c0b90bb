/**
 * Serving one function and stopping it again: `init()` starts its socket
 * server (and NATS service), `exit()` drains and stops them, and `closed`
 * settles once it no longer serves, whoever stopped it.
 */
import type { Logger } from 'pino';
import { ErrorCode, LIPError } from '../errors.js';
import { serveOneShot } from '../python/one-shot-server.js';
import { natsServersText, type NatsOption } from '../nats/connect-options.js';
import { SocketServer } from '../server/socket-server.js';
import { resolveSocketDir, socketPathFor } from '../transport/socket-names.js';
import type { FunctionEndpoint } from './function-endpoint.js';
import { type ExitOptions, type InitOptions, type LIPModuleOptions, validateExitOptions, validateInitOptions } from './options.js';

const DEFAULT_EXIT_TIMEOUT_MS = 10_000;

// Paths served by this process, so a second instance with the same name gets a clear error.
const servedHere = new Map<string, FunctionLifecycle>();

export interface FunctionLifecycleOptions {
  endpoint: FunctionEndpoint;
  options: LIPModuleOptions;
  log: Logger;
  /** Resolves once every log line is written. */
  flushLog: () => Promise<void>;
}

/** A failure here is the first call's to report, for that call: it reads the parameters again. */
function prepareInIdleTurn(endpoint: FunctionEndpoint, log: Logger): void {
  try {
    endpoint.prepare();
  } catch (error) {
    log.debug({ err: error }, 'reading the parameters ahead of the first call failed');
  }
}

export class FunctionLifecycle {
  private server: SocketServer | undefined;
  private nats: import('../nats/serve.js').NatsServing | undefined;
  private starting: Promise<void> | undefined;
  private servedPath: string | undefined;
  private closedPromise: Promise<void> = Promise.resolve();
  private markClosed: (() => void) | undefined;

  constructor(private readonly parts: FunctionLifecycleOptions) {}

  get socketPath(): string | undefined {
    return this.servedPath;
  }

  get serving(): boolean {
    return this.server !== undefined || this.nats !== undefined;
  }

  /** Settles when the function stops serving; already settled while it doesn't serve. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  async init(options: InitOptions = {}): Promise<void> {
    validateInitOptions(options);
    const { endpoint } = this.parts;
    if (this.server || this.nats || this.starting) {
      throw new LIPError(`'${endpoint.name}' is already served${this.servedPath ? ` at ${this.servedPath}` : ''}`, { code: ErrorCode.AlreadyServed });
    }
    let started!: () => void;
    this.starting = new Promise<void>((resolve) => (started = resolve));
    this.closedPromise = new Promise<void>((resolve) => (this.markClosed = resolve));
    try {
      if (options.socket !== false) await this.startSocket(options);
      if (options.nats) await this.startNats(options.nats);
      setImmediate(() => {
        if (this.serving) prepareInIdleTurn(endpoint, this.parts.log);
      });
    } catch (error) {
      await this.stop({ timeoutMs: 0 });
      throw error;
    } finally {
      this.starting = undefined;
      started();
    }
  }

  async exit(options: ExitOptions = {}): Promise<void> {
    validateExitOptions(options);
    // Called while init() is still starting: let it finish, then stop what it started.
    await this.starting;
    await this.stop(options);
  }

  private async startSocket(options: InitOptions): Promise<void> {
    const { endpoint, options: limits, log } = this.parts;
    const path = socketPathFor(endpoint.name, resolveSocketDir(options.socketDir ?? limits.socketDir));
    if (servedHere.has(path)) {
      throw new LIPError(`'${endpoint.name}' is already served by another function in this process at ${path}; give one of them a distinct name`, {
        code: ErrorCode.AlreadyServed,
      });
    }
    servedHere.set(path, this);
    const server: SocketServer = new SocketServer(endpoint, {
      maxFrameBytes: limits.maxFrameBytes,
      socketMode: limits.socketMode,
      idleTimeoutMs: limits.idleTimeoutMs,
      maxConnections: limits.maxConnections,
      maxInFlightPerConnection: limits.maxInFlightPerConnection,
      maxConnectionBytes: limits.maxConnectionBytes,
      maxServerBytes: limits.maxServerBytes,
      maxArgumentChannels: limits.maxArgumentChannels,
      maxArgumentBufferBytes: limits.maxArgumentBufferBytes,
      maxCallbackCalls: limits.maxCallbackCalls,
      sendStacks: limits.sendStacks,
      logger: log,
      onStopRequest: () => {
        log.info('stop requested by a client');
        void this.exit().catch((error: unknown) => log.error({ err: error }, 'exit failed'));
      },
      onOneShot: (socket, firstBytes) => serveOneShot(server, socket, firstBytes),
    });
    try {
      await server.listen(path, { takeOver: options.takeOver, listenFd: options.listenFd });
    } catch (error) {
      servedHere.delete(path);
      throw error;
    }
    this.server = server;
    this.servedPath = path;
    log.info({ socket: path }, `serving '${endpoint.name}'`);
  }

  private async startNats(nats: NatsOption): Promise<void> {
    const { endpoint, options, log } = this.parts;
    // Loaded only by those who serve over NATS.
    const { NatsServing } = await import('../nats/serve.js');
    this.nats = await NatsServing.start(endpoint, {
      nats,
      logger: log,
      sendStacks: options.sendStacks,
      maxInFlight: options.maxInFlightPerConnection,
      idleTimeoutMs: options.idleTimeoutMs,
    });
    // The servers only: credentials stay out of the log.
    log.info({ nats: natsServersText(nats) }, `serving '${endpoint.name}' over NATS`);
  }

  private async stop(options: ExitOptions): Promise<void> {
    const { server, nats } = this;
    if (!server && !nats) return this.settleClosed();
    this.server = undefined;
    this.nats = undefined;
    const { endpoint, log } = this.parts;
    const timeoutMs = options.timeoutMs ?? this.parts.options.exitTimeoutMs ?? DEFAULT_EXIT_TIMEOUT_MS;
    try {
      log.info({ inFlight: endpoint.inFlight }, `shutting down '${endpoint.name}'`);
      const [onSocket, onNats] = await Promise.all([server?.close(timeoutMs), nats?.stop(timeoutMs)]);
      if (server) servedHere.delete(this.servedPath!);
      this.servedPath = undefined;
      const unfinished = (onSocket?.unfinished ?? 0) + (onNats?.unfinished ?? 0);
      if (unfinished > 0) log.warn({ unfinished }, `${unfinished} call(s) still running after ${timeoutMs} ms were cut off`);
      log.info(`stopped '${endpoint.name}'`);
      await this.parts.flushLog();
    } finally {
      this.settleClosed();
    }
  }

  private settleClosed(): void {
    this.markClosed?.();
    this.markClosed = undefined;
  }
}
