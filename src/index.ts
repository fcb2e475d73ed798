/**
 * The package's main entry: the controller, its API and the in-memory southbound. Nothing here
 * opens a socket or a file, and nothing loads the agent's, the gRPC southbound's or the DB
 * watcher's libraries: those are the subpaths `./southbound`, `./dbwatcher` and `./agent`
 * (docs/embedding.md). A test checks what loading this entry loads.
 */
export * from './api';
export { createController, InvalidHandlerError, InvalidSouthboundError } from './controller';
export type { Controller, ControllerOptions, ControllerHealth, QueueDepths, QueueStats } from './controller';
export type { CurrentEvent } from './loop/eventProcessor';
export type { QueueCounts } from './loop/eventQueue';
export { InvalidHistoryQueryError } from './loop/eventHistory';
export { InMemorySouthbound } from './southbound/memory';
export type { InjectedFailure } from './southbound/memory';
export type { ControllerStateName } from '../machines/controllerState';
export { cloneMessage, mergeInto, mergedCopy } from './protobuf/merge';
