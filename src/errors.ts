/**
 * The LIPError family. Every error the library raises carries a stable string
 * `code`, so callers can branch on `err.code` without parsing messages, and the
 * same table is shared by both ends of the wire.
 */

/** Stable error codes, shared by client and server. */
export const ErrorCode = {
  Error: 'ERR_LIP',
  Remote: 'ERR_LIP_REMOTE',
  NotFound: 'ERR_LIP_NOT_FOUND',
  Connection: 'ERR_LIP_CONNECTION',
  Timeout: 'ERR_LIP_TIMEOUT',
  Aborted: 'ERR_LIP_ABORTED',
  Protocol: 'ERR_LIP_PROTOCOL',
  Argument: 'ERR_LIP_ARGUMENT',
  Busy: 'ERR_LIP_BUSY',
  ShuttingDown: 'ERR_LIP_SHUTTING_DOWN',
  AlreadyServed: 'ERR_LIP_ALREADY_SERVED',
  SocketPath: 'ERR_LIP_SOCKET_PATH',
  FrameTooLarge: 'ERR_LIP_FRAME_TOO_LARGE',
  Untrusted: 'ERR_LIP_UNTRUSTED_SOCKET',
  CallbackExpired: 'ERR_LIP_CALLBACK_EXPIRED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The shape of an error as it travels on the wire. */
export interface RemoteErrorInfo {
  name: string;
  message: string;
  code?: string;
  stack?: string;
  /** Extra structured detail, e.g. schema issues for argument errors. */
  data?: unknown;
  /**
   * Set when the library itself refused or failed the call (arguments, schema, busy, shutting
   * down, protocol): the client then raises its own class for `code`. Without it, whatever the
   * function threw arrives as LIPRemoteError, even if it carries one of our codes.
   */
  lip?: boolean;
}

/** Base class of every error this library raises. */
export class LIPError extends Error {
  override name = 'LIPError';
  readonly code: string;

  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = options?.code ?? ErrorCode.Error;
  }
}

/** The served function threw or rejected; `remote` holds what it threw. */
export class LIPRemoteError extends LIPError {
  override name = 'LIPRemoteError';
  readonly remote: RemoteErrorInfo;
  /** Name of the function that failed. */
  readonly functionName: string;

  constructor(functionName: string, remote: RemoteErrorInfo, options?: { cause?: unknown }) {
    super(`${functionName}: ${remote.name}: ${remote.message}`, { ...options, code: ErrorCode.Remote });
    this.remote = remote;
    this.functionName = functionName;
  }
}

/** No function of that name is served in the socket directory. */
export class LIPNotFoundError extends LIPError {
  override name = 'LIPNotFoundError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: ErrorCode.NotFound });
  }
}

/** The connection failed, or closed with calls pending. */
export class LIPConnectionError extends LIPError {
  override name = 'LIPConnectionError';
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, { code: ErrorCode.Connection, ...options });
  }
}

/** A call's deadline passed before its answer arrived. */
export class LIPTimeoutError extends LIPError {
  override name = 'LIPTimeoutError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: ErrorCode.Timeout });
  }
}

/** The caller aborted the call through its AbortSignal. */
export class LIPAbortError extends LIPError {
  override name = 'LIPAbortError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: ErrorCode.Aborted });
  }
}

/** The peer sent something that is not valid LIP protocol. */
export class LIPProtocolError extends LIPError {
  override name = 'LIPProtocolError';
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, { code: ErrorCode.Protocol, ...options });
  }
}

/**
 * What answers at the function's socket is neither lipmodule nor the Python original
 * (another program listens there). A LIPProtocolError, so code that handles those still does.
 */
export class LIPNotLipServerError extends LIPProtocolError {
  override name = 'LIPNotLipServerError';
  /** The function whose socket it is. */
  readonly functionName: string;
  /** `detail`: what it answered; @default the cause's message */
  constructor(functionName: string, options: { cause: Error; detail?: string }) {
    const detail = options.detail ?? options.cause.message;
    super(`'${functionName}' is not a LIP server: it answered neither as lipmodule nor as the Python original (${detail})`, { cause: options.cause });
    this.functionName = functionName;
  }
}

/** The arguments do not fit the function's parameters or schema. */
export class LIPArgumentError extends LIPError {
  override name = 'LIPArgumentError';
  /** Validation issues, when a schema produced them. */
  readonly issues: readonly { message: string; path?: readonly PropertyKey[] }[] | undefined;
  constructor(message: string, options?: { cause?: unknown; issues?: LIPArgumentError['issues'] }) {
    super(message, { ...options, code: ErrorCode.Argument });
    this.issues = options?.issues;
  }
}

/** The function's queue is full (`concurrency` + `maxQueue`). */
export class LIPBusyError extends LIPError {
  override name = 'LIPBusyError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: ErrorCode.Busy });
  }
}

/** A callback or iterable argument was used after the call that carried it ended. */
export class LIPCallbackExpiredError extends LIPError {
  override name = 'LIPCallbackExpiredError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, { ...options, code: ErrorCode.CallbackExpired });
  }
}

type ErrorClass = new (...args: never[]) => LIPError;

function makeGuard<C extends ErrorClass>(cls: C, name: string) {
  // `name` as well as instanceof: two copies of the package in one tree still agree.
  return (err: unknown): err is InstanceType<C> => err instanceof cls || (err instanceof Error && err.name === name);
}

export const isLIPError = makeGuard(LIPError, 'LIPError') as (err: unknown) => err is LIPError;
export const isLIPRemoteError = makeGuard(LIPRemoteError, 'LIPRemoteError');
export const isLIPNotFoundError = makeGuard(LIPNotFoundError, 'LIPNotFoundError');
export const isLIPConnectionError = makeGuard(LIPConnectionError, 'LIPConnectionError');
export const isLIPTimeoutError = makeGuard(LIPTimeoutError, 'LIPTimeoutError');
export const isLIPProtocolError = makeGuard(LIPProtocolError, 'LIPProtocolError');
export const isLIPArgumentError = makeGuard(LIPArgumentError, 'LIPArgumentError');

// The one mark of "the library raised this about the call" (not the function): the wire says `lip: true`.
const ownFaults = new WeakSet<object>();

/** Marks an error the library raises about a call itself (not one the function threw); returns it. */
export function ownFault<E>(error: E): E {
  if ((typeof error === 'object' && error !== null) || typeof error === 'function') ownFaults.add(error);
  return error;
}

export interface ErrorInfoOptions {
  /** Send the error's stack. @default false */
  stack?: boolean;
}

const NO_STACK: ErrorInfoOptions = {};

/**
 * Anything thrown, in the wire shape, keeping what it can; `lip: true` when the
 * library raised it (ownFault). Never throws: a thrown value is hostile input
 * (getters and proxy traps that throw, a `message` that is an object), and
 * answering it must not take the server down.
 */
export function errorInfo(thrown: unknown, options: ErrorInfoOptions = NO_STACK): RemoteErrorInfo {
  try {
    return readThrown(thrown, options.stack === true);
  } catch {
    return { name: 'NonError', message: 'a value was thrown that cannot be read' };
  }
}

/** The library's own answer about a call it refused or could not finish: name and code from the error's class, no stack. */
export function ownErrorInfo(error: Error): RemoteErrorInfo {
  return errorInfo(ownFault(error));
}

function readThrown(thrown: unknown, includeStack: boolean): RemoteErrorInfo {
  // instanceof runs a proxy's getPrototypeOf trap, so it is read safely too.
  if (attempt(() => thrown instanceof Error) === true) {
    const error = thrown as Error;
    const message = attempt(() => error.message);
    const info: RemoteErrorInfo = {
      name: asText(attempt(() => error.name)) || 'Error',
      message: asText(message) ?? (message === undefined ? '' : showThrown(message)),
    };
    if (ownFaults.has(error)) info.lip = true;
    const code = attempt(() => (error as { code?: unknown }).code);
    if (typeof code === 'string' || typeof code === 'number') info.code = String(code);
    if (includeStack) {
      const stack = attempt(() => error.stack);
      if (typeof stack === 'string') info.stack = stack;
    }
    if (error instanceof LIPArgumentError && error.issues) info.data = { issues: error.issues };
    return info;
  }
  // A thrown string or object still deserves a readable message.
  return { name: 'NonError', message: `non-Error thrown: ${showThrown(thrown)}` };
}

/** The value of `read()`, or undefined if it throws. */
function attempt<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/** Strings as they are, numbers, booleans and bigints spelled out; anything else (objects, symbols) is no text. */
function asText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    default:
      return undefined;
  }
}

function showThrown(thrown: unknown): string {
  if (typeof thrown === 'string') return thrown;
  const json = attempt(() => JSON.stringify(thrown));
  if (typeof json === 'string') return json;
  return attempt(() => String(thrown)) ?? attempt(() => Object.prototype.toString.call(thrown)) ?? 'a value that cannot be shown';
}

/**
 * Rebuilds the client-side error for a remote failure. Our own error classes
 * come back as themselves (an argument error stays a LIPArgumentError); anything
 * the function threw becomes a LIPRemoteError.
 */
export function fromRemoteErrorInfo(functionName: string, info: RemoteErrorInfo): LIPError {
  // What the function threw stays the function's error, whatever code it carries.
  if (info.lip !== true) return new LIPRemoteError(functionName, info);
  const message = `${functionName}: ${info.message}`;
  switch (info.code) {
    case ErrorCode.Argument: {
      const issues = (info.data as { issues?: LIPArgumentError['issues'] } | undefined)?.issues;
      return new LIPArgumentError(message, { issues });
    }
    case ErrorCode.Busy:
      return new LIPBusyError(message);
    case ErrorCode.ShuttingDown:
      return new LIPConnectionError(message, { code: ErrorCode.ShuttingDown });
    case ErrorCode.NotFound:
      return new LIPNotFoundError(message);
    case ErrorCode.Protocol:
    case ErrorCode.FrameTooLarge:
      return new LIPProtocolError(message, { code: info.code });
    case ErrorCode.Timeout:
      return new LIPTimeoutError(message);
    case ErrorCode.Aborted:
      return new LIPAbortError(message);
    case ErrorCode.CallbackExpired:
      return new LIPCallbackExpiredError(message);
    default:
      return new LIPRemoteError(functionName, info);
  }
}
