/**
 * Every message of the native protocol, as one discriminated union. On the
 * wire a message is a CBOR array whose first element is its kind; arrays keep
 * frames small and cheap to encode, and read naturally from any language.
 * docs/PROTOCOL.md is the reference for these shapes.
 */
import type { RemoteErrorInfo } from '../errors.js';
import { LIPProtocolError } from '../errors.js';

export const Kind = {
  /** server → client, first frame: [0, {v, pid, name, lib}] */
  Hello: 0,
  /** client → server: [1, id, fn, args, kwargs | null, opts | null] */
  Call: 1,
  /** server → client: [2, id, value] */
  Result: 2,
  /** server → client: [3, id, {name, message, code?, stack?, data?}]; id 0 = the connection itself */
  Error: 3,
  /** client → server: [4, id] stop the call (its signal fires, a stream's generator returns) */
  Cancel: 4,
  /** server → client: [5, id, value] one value of a stream */
  Item: 5,
  /** server → client: [6, id] the stream ended normally */
  End: 6,
  /** client → server: [7, id, n] the client will take n more stream items */
  Credit: 7,
  /** client → server: [8, id, verb, arg?] built-in verbs; the answer is a Result or Error */
  Control: 8,
  /** server → client: [9, id, channel, seq, args] the served function calls the caller's callback `channel` */
  CallbackCall: 9,
  /** client → server: [10, id, seq, value] what callback call `seq` returned */
  CallbackResult: 10,
  /** client → server: [11, id, seq, {name, message, code?}] what callback call `seq` threw */
  CallbackError: 11,
  /** client → server: [12, id, channel, value] one item of the caller's iterable `channel` */
  ArgItem: 12,
  /** client → server: [13, id, channel, error?] the caller's iterable finished (or threw `error`) */
  ArgEnd: 13,
  /** server → client: [14, id, channel, n] the server will take n more items of iterable `channel` */
  ArgCredit: 14,
  /** server → client: [15, id, channel] the server stopped reading iterable `channel`: the caller's generator returns */
  ArgStop: 15,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** Built-in verbs every server answers, whatever function it serves. */
export const ControlVerb = ['ping', 'info', 'stats', 'doc', 'stop'] as const;
export type ControlVerb = (typeof ControlVerb)[number];

/**
 * What a server can do beyond protocol version 1, listed in its Hello's `caps`. `channels`: callbacks and
 * async iterables as call arguments (the Call's `channels` option and kinds 9-15). A client sends a
 * feature's messages only to a server that lists it.
 */
export const Capability = { Channels: 'channels' } as const;
export const SERVER_CAPABILITIES: readonly string[] = Object.freeze([Capability.Channels]);

/** Whether a server's Hello lists `capability`. */
export function helloHas(hello: HelloInfo | undefined, capability: string): boolean {
  return Array.isArray(hello?.caps) && hello.caps.includes(capability);
}

export interface HelloInfo {
  /** Protocol version the server speaks. */
  v: number;
  /** What the server can do beyond version 1 (see Capability); absent on older servers. */
  caps?: string[];
  pid: number;
  /** Function served on this socket. */
  name: string;
  /** Library and its version, e.g. "lipmodule/0.1.0". */
  lib: string;
}

export interface CallOptions {
  /** Milliseconds the caller will wait; the server's context deadline. */
  timeoutMs?: number;
  /** The caller wants the values of a stream one by one. */
  stream?: boolean;
  /** Stream items the caller can take before it sends credit. */
  credit?: number;
  /**
   * The caller's trace context and baggage (`traceparent`, `tracestate`, `baggage`): header-like
   * names to strings. Checked only by a server that traces; one out of bounds is ignored.
   */
  trace?: Record<string, string>;
  /** The argument slots that hold callbacks and iterables (their values in args/kwargs are null). */
  channels?: ChannelSpec[];
}

/** What an argument channel carries: a function the server may call, or an iterable it reads. */
export const ChannelKind = { Callback: 0, Iterable: 1 } as const;
export type ChannelKind = (typeof ChannelKind)[keyof typeof ChannelKind];

/**
 * Where a channel's argument is: `[i]` is args[i], `["k"]` kwargs.k, `[i, "p"]` the property p of the
 * plain object args[i], `["k", "p"]` of kwargs.k.
 */
export type ChannelPath = readonly [number | string] | readonly [number | string, string];

/** One entry of a Call's `channels` option: `[channel, kind, path]`, channel ids 1..n unique in the call. */
export type ChannelSpec = readonly [number, ChannelKind, ChannelPath];

export type HelloMessage = readonly [typeof Kind.Hello, HelloInfo];
export type CallMessage = readonly [typeof Kind.Call, number, string, unknown[], Record<string, unknown> | null, CallOptions | null];
export type ResultMessage = readonly [typeof Kind.Result, number, unknown];
export type ErrorMessage = readonly [typeof Kind.Error, number, RemoteErrorInfo];
export type CancelMessage = readonly [typeof Kind.Cancel, number];
export type ItemMessage = readonly [typeof Kind.Item, number, unknown];
export type EndMessage = readonly [typeof Kind.End, number];
export type CreditMessage = readonly [typeof Kind.Credit, number, number];
export type ControlMessage = readonly [typeof Kind.Control, number, ControlVerb, unknown?];
export type CallbackCallMessage = readonly [typeof Kind.CallbackCall, number, number, number, unknown[]];
export type CallbackResultMessage = readonly [typeof Kind.CallbackResult, number, number, unknown];
export type CallbackErrorMessage = readonly [typeof Kind.CallbackError, number, number, RemoteErrorInfo];
export type ArgItemMessage = readonly [typeof Kind.ArgItem, number, number, unknown];
export type ArgEndMessage = readonly [typeof Kind.ArgEnd, number, number, RemoteErrorInfo | undefined];
export type ArgCreditMessage = readonly [typeof Kind.ArgCredit, number, number, number];
export type ArgStopMessage = readonly [typeof Kind.ArgStop, number, number];

/** What a caller sends about the callbacks and iterables of its calls. */
export type ChannelClientMessage = CallbackResultMessage | CallbackErrorMessage | ArgItemMessage | ArgEndMessage;
/** What a server sends about them. */
export type ChannelServerMessage = CallbackCallMessage | ArgCreditMessage | ArgStopMessage;

export type ClientMessage = CallMessage | CancelMessage | CreditMessage | ControlMessage | ChannelClientMessage;
export type ServerMessage = HelloMessage | ResultMessage | ErrorMessage | ItemMessage | EndMessage | ChannelServerMessage;
export type Message = ClientMessage | ServerMessage;

/** Request ids are 1..MAX_REQUEST_ID (a CBOR uint32); 0 names no request (an error about the connection). */
export const MAX_REQUEST_ID = 0xffffffff;

/** Whether `value` can be a request id. */
export function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= MAX_REQUEST_ID;
}

/** The id after `id`, wrapping back to 1. */
export function nextRequestId(id: number): number {
  return id >= MAX_REQUEST_ID ? 1 : id + 1;
}

// What each element of a message is called, for errors that point into one (`args[1].user`).
const FIELD_NAMES: Readonly<Record<number, readonly string[]>> = {
  [Kind.Hello]: ['kind', 'hello'],
  [Kind.Call]: ['kind', 'id', 'fn', 'args', 'kwargs', 'options'],
  [Kind.Result]: ['kind', 'id', 'result'],
  [Kind.Error]: ['kind', 'id', 'error'],
  [Kind.Cancel]: ['kind', 'id'],
  [Kind.Item]: ['kind', 'id', 'item'],
  [Kind.End]: ['kind', 'id'],
  [Kind.Credit]: ['kind', 'id', 'credit'],
  [Kind.Control]: ['kind', 'id', 'verb', 'arg'],
  [Kind.CallbackCall]: ['kind', 'id', 'channel', 'seq', 'callback args'],
  [Kind.CallbackResult]: ['kind', 'id', 'seq', 'callback result'],
  [Kind.CallbackError]: ['kind', 'id', 'seq', 'callback error'],
  [Kind.ArgItem]: ['kind', 'id', 'channel', 'argument item'],
  [Kind.ArgEnd]: ['kind', 'id', 'channel', 'argument error'],
  [Kind.ArgCredit]: ['kind', 'id', 'channel', 'credit'],
  [Kind.ArgStop]: ['kind', 'id', 'channel'],
};

/** The name of element `index` of `message` if it is a native message (`args` for a Call's element 3). */
export function messageFieldName(message: unknown, index: number): string | undefined {
  if (!Array.isArray(message) || typeof message[0] !== 'number') return undefined;
  return FIELD_NAMES[message[0]]?.[index];
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function fail(what: string): never {
  throw new LIPProtocolError(`invalid message: ${what}`);
}

/** A channel id or callback sequence number: 1..2^32-1, as request ids. */
function channelNumber(value: unknown, what: string): number {
  if (!isRequestId(value)) fail(`${what} must be an integer from 1 to 2^32-1`);
  return value;
}

function errorShape(info: unknown, what: string): RemoteErrorInfo {
  if (!isPlainRecord(info) || typeof info.message !== 'string') fail(`${what} must carry {name, message}`);
  return { ...info, name: typeof info.name === 'string' ? info.name : 'Error' } as RemoteErrorInfo;
}

/** Checks a decoded value is a well-formed client message; throws LIPProtocolError otherwise. */
export function parseClientMessage(value: unknown): ClientMessage {
  if (!Array.isArray(value) || value.length < 2) fail('expected an array [kind, id, ...]');
  const [kind, id] = value;
  if (!isRequestId(id)) fail('id must be an integer from 1 to 2^32-1');
  switch (kind) {
    case Kind.Call: {
      const [, , fn, args, kwargs, opts] = value;
      if (typeof fn !== 'string') fail('function name must be a string');
      if (!Array.isArray(args)) fail('args must be an array');
      if (kwargs != null && !isPlainRecord(kwargs)) fail('kwargs must be a map with string keys or null');
      if (opts != null && !isPlainRecord(opts)) fail('call options must be a map or null');
      return [Kind.Call, id, fn, args, (kwargs ?? null) as Record<string, unknown> | null, (opts ?? null) as CallOptions | null];
    }
    case Kind.Cancel:
      return [Kind.Cancel, id];
    case Kind.Credit: {
      const n = value[2];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_REQUEST_ID) fail('credit must be a positive integer');
      return [Kind.Credit, id, n];
    }
    case Kind.Control: {
      const verb = value[2];
      if (!(ControlVerb as readonly unknown[]).includes(verb)) fail(`unknown control verb ${JSON.stringify(String(verb))}`);
      return [Kind.Control, id, verb as ControlVerb, value[3]];
    }
    case Kind.CallbackResult:
      return [Kind.CallbackResult, id, channelNumber(value[2], 'seq'), value[3]];
    case Kind.CallbackError:
      return [Kind.CallbackError, id, channelNumber(value[2], 'seq'), errorShape(value[3], 'a callback error')];
    case Kind.ArgItem:
      if (value.length < 4) fail('an argument item must carry a value');
      return [Kind.ArgItem, id, channelNumber(value[2], 'channel'), value[3]];
    case Kind.ArgEnd:
      return [Kind.ArgEnd, id, channelNumber(value[2], 'channel'), value[3] == null ? undefined : errorShape(value[3], 'an argument error')];
    case Kind.CallbackCall:
    case Kind.ArgCredit:
    case Kind.ArgStop:
    case Kind.Hello:
    case Kind.Result:
    case Kind.Error:
    case Kind.Item:
    case Kind.End:
      return fail(`kind ${kind} is sent by servers, not clients`);
    default:
      fail(`unknown kind ${JSON.stringify(String(kind))}`);
  }
}

/** Checks a decoded value is a well-formed server message; throws LIPProtocolError otherwise. */
export function parseServerMessage(value: unknown): ServerMessage {
  if (!Array.isArray(value) || value.length < 2) fail('expected an array [kind, ...]');
  const kind = value[0];
  if (kind === Kind.Hello) {
    const info = value[1];
    if (!isPlainRecord(info) || typeof info.v !== 'number') fail('hello must carry {v, ...}');
    return [Kind.Hello, info as unknown as HelloInfo];
  }
  const id = value[1];
  // Connection-level errors use id 0.
  if (!(isRequestId(id) || (kind === Kind.Error && id === 0))) fail('id must be an integer from 1 to 2^32-1');
  switch (kind) {
    case Kind.Result:
      return [Kind.Result, id, value[2]];
    case Kind.Item:
      return [Kind.Item, id, value[2]];
    case Kind.End:
      return [Kind.End, id];
    case Kind.Error:
      return [Kind.Error, id, errorShape(value[2], 'error')];
    case Kind.CallbackCall: {
      const args = value[4];
      if (!Array.isArray(args)) fail('callback args must be an array');
      return [Kind.CallbackCall, id, channelNumber(value[2], 'channel'), channelNumber(value[3], 'seq'), args];
    }
    case Kind.ArgCredit: {
      const n = value[3];
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_REQUEST_ID) fail('credit must be a positive integer');
      return [Kind.ArgCredit, id, channelNumber(value[2], 'channel'), n];
    }
    case Kind.ArgStop:
      return [Kind.ArgStop, id, channelNumber(value[2], 'channel')];
    default:
      fail(`unknown kind ${JSON.stringify(String(kind))}`);
  }
}
