export * from './api';
export { createController, InvalidHandlerError } from './controller';
export type { Controller, ControllerOptions, ControllerHealth, QueueDepths, QueueStats } from './controller';
export type { CurrentEvent } from './loop/eventProcessor';
export type { QueueCounts } from './loop/eventQueue';
export { InMemorySouthbound } from './southbound/memory';
export type { InjectedFailure } from './southbound/memory';
export { controllerMachine } from '../machines/controller.machine';
export type { ControllerMachine, ControllerMachineContext, ControllerMachineInput } from '../machines/controller.machine';
export type { ControllerStateName } from '../machines/controllerState';
export { InvalidHistoryQueryError } from './loop/eventHistory';
export { cloneMessage, mergeInto, mergedCopy } from './protobuf/merge';
export { ControllerMetrics, DEFAULT_METRICS_PREFIX } from './agent/metrics';
export type { ControllerMetricsOptions } from './agent/metrics';
export { startRestServer, DEFAULT_REST_HOST, DEFAULT_REST_PORT } from './agent/rest/server';
export type { RestServer, RestServerOptions } from './agent/rest/server';
export { RestServerError, RestPortInUseError, RestAddressUnavailableError, InvalidRequestParameterError } from './agent/rest/errors';
export {
  GrpcSouthbound,
  SouthboundServer,
  SouthboundAdminClient,
  SouthboundUnreachableError,
  SouthboundConnectionLostError,
  SouthboundCommitTimeoutError,
  SouthboundTlsError,
  SouthboundRefusedError,
  SchedulerEngine,
} from './southbound';
export type { GrpcSouthboundOptions, SouthboundServerOptions, DependencyRule } from './southbound';
export { openDbWatcher, DbWatcher, EtcdStore, LmdbStore, KubeStateWriter, ResourceRegistry } from './dbwatcher';
export type { OpenDbWatcherOptions, OpenedDbWatcher, DbWatcherOptions, KeyValueStore } from './dbwatcher';
