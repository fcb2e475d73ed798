/** How an event is reacted to: a re-synchronisation of some layers, or an incremental change. */
export enum EventMethodType {
  /** Full re-synchronisation of both layers: controller -> southbound -> dataplane. */
  FullResync = 0,
  /** The southbound re-synchronises with the dataplane; the handlers are not called. */
  DownstreamResync = 1,
  /** The configuration is rebuilt from scratch; the southbound syncs only its own view. */
  UpstreamResync = 2,
  /** An incremental change. */
  Update = 3,
}

/** The order in which an update flows through the handlers. */
export enum UpdateDirectionType {
  /** Registration order: every handler sees its dependencies already updated. */
  Forward = 0,
  /** Reverse registration order: dependencies are still in their pre-event state. */
  Reverse = 1,
}

/** What to do with already executed changes when an update fails part-way. */
export enum UpdateTransactionType {
  /** Keep going after a non-fatal error, then heal with a resync. */
  BestEffort = 0,
  /** Keep going after a non-fatal error, without a healing resync. */
  BestEffortIgnoreErrors = 1,
  /** Stop at the first error and revert what was done. */
  RevertOnFailure = 2,
}

/** Why a HealingResync runs. */
export enum HealingResyncType {
  /** Periodic downstream resync (when enabled). */
  Periodic = 0,
  /** Full resync after an event failed. */
  AfterError = 1,
}

/** Human-readable names, for logs and descriptions. */
export function methodName(method: EventMethodType): string {
  return EventMethodType[method] ?? `Unknown(${String(method)})`;
}

export function isResync(method: EventMethodType): boolean {
  return method !== EventMethodType.Update;
}
