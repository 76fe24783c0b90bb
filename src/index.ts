/**
 * lipmodule: serve plain functions on Unix domain sockets and call them from
 * other processes. The public API; everything else is internal.
 */
export { LIPModule } from './module.js';
export type { LIPFunction, LIPFunctionControls, LIPWrap } from './module.js';
export type { LIPModuleOptions } from './function/options.js';
export type { InitOptions, ExitOptions } from './function/options.js';
export { announceRestart, endRestartNotice } from './function/restart-notice.js';
export type { RestartNoticeOptions } from './function/restart-notice.js';
export { LIPClient } from './client/lip-client.js';
export type { LIPClientOptions, CallOptions, CallerArgument, Remote, SocketStatus } from './client/lip-client.js';
export type { CallContext } from './call/context.js';
export type { FunctionInfo, FunctionStats, ParamInfo } from './function/introspection.js';
export type { LatencyBucketsSnapshot } from './telemetry/latency-buckets.js';
export { isLogLevel } from './log/levels.js';
export type { LogLevel, LogLevelName } from './log/levels.js';
export type { StandardSchemaV1 } from './function/schema.js';
export {
  ErrorCode,
  LIPError,
  LIPRemoteError,
  LIPNotFoundError,
  LIPConnectionError,
  LIPTimeoutError,
  LIPAbortError,
  LIPProtocolError,
  LIPNotLipServerError,
  LIPArgumentError,
  LIPBusyError,
  LIPCallbackExpiredError,
  isLIPError,
  isLIPRemoteError,
  isLIPNotFoundError,
  isLIPConnectionError,
  isLIPTimeoutError,
  isLIPProtocolError,
  isLIPArgumentError,
} from './errors.js';
export type { RemoteErrorInfo } from './errors.js';
export { VERSION } from './version.js';
/** The largest frame a client or server takes or sends unless its `maxFrameBytes` option says otherwise. */
export { DEFAULT_MAX_FRAME_BYTES } from './protocol/frame.js';
export { natsServersText } from './nats/connect-options.js';
export type { NatsOption, NatsConnectionOptions } from './nats/connect-options.js';
export { metricsExposition, EXPOSITION_CONTENT_TYPE } from './telemetry/prometheus.js';
export type { ExpositionOptions, MetricsSource } from './telemetry/prometheus.js';
export type { StatsWarning } from './telemetry/stats-check.js';
