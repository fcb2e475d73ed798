/** What the event loop tells the controller machine. Sent only when something changes. */
export type LoopPhase = 'idle' | 'resyncing' | 'updating' | 'reverting';

export type LoopNotification =
  /** The loop moved to another phase (sent on change only, so a burst costs one transition). */
  | { type: 'loop.phase'; phase: LoopPhase }
  /** The first DBResync was processed (events are no longer held back); `committed` when its commit went through. */
  | { type: 'loop.startupResyncDone'; committed: boolean }
  /** An event failed in a way that a healing resync should repair. */
  | { type: 'loop.needsHealing'; error: Error }
  /** An AfterError healing resync began: a new failure may schedule another. */
  | { type: 'loop.healingStarted' }
  /** A FatalError (or a failed healing): the loop aborts. */
  | { type: 'loop.fatal'; error: Error }
  /** A later full or upstream resync was committed after the startup resync's commit had failed. */
  | { type: 'loop.resyncCommitted' }
  /**
   * The southbound is unavailable: sent when a commit finds it so after it was available, and for
   * every healing resync that finds it still so (a failed retry).
   */
  | { type: 'loop.southboundUnavailable'; error: Error }
  /** A commit went through after an outage; `resynced` when that commit was a full or upstream resync. */
  | { type: 'loop.southboundAvailable'; resynced: boolean };

/** What the controller's owner (the facade) tells the machine. */
export type ControllerCommand =
  | { type: 'controller.close' }
  /** The Shutdown event is finished: stop. */
  | { type: 'controller.stopped' }
  /** The healing push failed (queue full): try again after the delay. */
  | { type: 'healing.retry' };

export type ControllerMachineEvent = LoopNotification | ControllerCommand;
