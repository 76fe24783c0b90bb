/**
 * Errors the library raises come back to the caller as its own classes, code
 * by code; only the library's own errors are marked as such on the wire.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ErrorCode,
  fromRemoteErrorInfo,
  LIPAbortError,
  LIPArgumentError,
  LIPBusyError,
  LIPCallbackExpiredError,
  LIPConnectionError,
  LIPNotFoundError,
  LIPProtocolError,
  LIPRemoteError,
  LIPTimeoutError,
  ownFault,
  errorInfo,
  ownErrorInfo,
} from '../src/errors.js';

test('errors the library raised (lip: true) come back as its own classes, code by code', () => {
  const cases: [string, new (...args: never[]) => Error][] = [
    [ErrorCode.Argument, LIPArgumentError],
    [ErrorCode.Busy, LIPBusyError],
    [ErrorCode.ShuttingDown, LIPConnectionError],
    [ErrorCode.NotFound, LIPNotFoundError],
    [ErrorCode.Protocol, LIPProtocolError],
    [ErrorCode.FrameTooLarge, LIPProtocolError],
    [ErrorCode.Timeout, LIPTimeoutError],
    [ErrorCode.Aborted, LIPAbortError],
    [ErrorCode.CallbackExpired, LIPCallbackExpiredError],
  ];
  for (const [code, cls] of cases) {
    const error = fromRemoteErrorInfo('f', { name: 'X', message: 'm', code, lip: true });
    assert.ok(error instanceof cls, `${code} → ${cls.name}, got ${error.name}`);
    // Without the marker it is whatever the function threw.
    assert.ok(fromRemoteErrorInfo('f', { name: 'X', message: 'm', code }) instanceof LIPRemoteError, `${code} without lip`);
  }
});

test("only errors marked as the library's own, or flagged so, carry lip on the wire", () => {
  assert.equal(errorInfo(new LIPArgumentError('bad')).lip, undefined);
  assert.equal(errorInfo(ownFault(new LIPArgumentError('bad'))).lip, true);
  assert.equal(ownErrorInfo(new Error('x')).lip, true);
  assert.equal(errorInfo('a string').lip, undefined);
});
