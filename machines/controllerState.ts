import type { SnapshotFrom } from 'xstate';
import type { ControllerMachine } from './controller.machine';

/** The controller's state names as `health()` reports them. */
export type ControllerStateName =
  | 'awaitingStartupResync'
  | 'idle'
  | 'resyncing'
  | 'updating'
  | 'reverting'
  | 'fatal'
  | 'stopping'
  | 'stopped';

/** One name for the machine's state: the loop region while running, else the top-level state. */
export function controllerStateName(snapshot: SnapshotFrom<ControllerMachine>): ControllerStateName {
  const value = snapshot.value;
  if (typeof value === 'string') return value as ControllerStateName;
  return (value as { running: { loop: ControllerStateName } }).running.loop;
}
