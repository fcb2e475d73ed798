/** The southbound: the gRPC KV-scheduler protocol, its client, and the reference southbound agent. */
export { GrpcSouthbound, type GrpcSouthboundOptions } from './grpc/client';
export { SouthboundAdminClient } from './grpc/adminClient';
export { AnyCodec } from './grpc/anyCodec';
export type { ClientTlsOptions, ReconnectBackoff } from './grpc/channel';
export {
  SouthboundUnreachableError,
  SouthboundConnectionLostError,
  SouthboundCommitTimeoutError,
  SouthboundTlsError,
  SouthboundRefusedError,
  SouthboundCallError,
} from './grpc/errors';
export type { TlsFailureReason } from './grpc/tlsDiagnosis';
export type { KeyState, PackedValue, ValueStatus } from './grpc/model';
export type { ValueStatusWatch } from './grpc/valueStatusWatch';
export { PROTO_PACKAGE, southboundProtoPath, loadSouthboundProtocol } from './grpc/protocol';
export { DEFAULT_MAX_BATCH_BYTES, MAX_VALUE_BYTES } from './grpc/batching';
export { SchedulerEngine, DEFAULT_MAX_RECORDED_TXNS, type SchedulerEngineOptions } from './agent/scheduler';
export {
  SouthboundServer,
  SouthboundServerError,
  DEFAULT_LISTEN_ADDRESS,
  DEFAULT_MAX_TXN_BYTES,
  DEFAULT_TXN_ASSEMBLY_TIMEOUT_MS,
  type SouthboundServerOptions,
  type ServerTlsOptions,
} from './agent/server';
export type { SessionStats } from './agent/serverSession';
export { DependencyRules, InvalidDependencyRuleError, parseDependencyRules, type DependencyRule } from './agent/dependencyRules';
export { FaultInjector, type FaultRule } from './agent/faultInjector';
export { SimulatedDataplane, DataplaneError } from './agent/dataplane';
export { runSouthboundCommand } from './agent/cli';
export type { SchedulerTxn, SchedulerTxnValue, SchedulerCommitResult, SchedulerRecordedTxn, SchedulerRecordedOperation, StoredValue } from './agent/types';
