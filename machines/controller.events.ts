/** What the event loop tells the controller machine. Sent only when something changes. */
export type LoopPhase = 'idle' | 'resyncing' | 'updating' | 'reverting';

export type LoopNotification =
  /** The loop moved to another phase (sent on change only, so a burst costs one transition). */
  | { type: 'loop.phase'; phase: LoopPhase }
  /** The first DBResync was processed: the controller is ready. */
  | { type: 'loop.startupResyncDone' }
  /** An event failed in a way that a healing resync should repair. */
  | { type: 'loop.needsHealing'; error: Error }
  /** An AfterError healing resync began: a new failure may schedule another. */
  | { type: 'loop.healingStarted' }
  /** A FatalError (or a failed healing): the loop aborts. */
  | { type: 'loop.fatal'; error: Error };

/** What the controller's owner (the facade) tells the machine. */
export type ControllerCommand =
  | { type: 'controller.close' }
  /** The Shutdown event is finished: stop. */
  | { type: 'controller.stopped' }
  /** The healing push failed (queue full): try again after the delay. */
  | { type: 'healing.retry' };

export type ControllerMachineEvent = LoopNotification | ControllerCommand;
