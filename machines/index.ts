/**
 * The controller machine alone (`contiv-controller-ts/machine`): states and transitions with
 * inert stand-ins for its actors, for the Stately editor and visualizer and for model-based tests
 * with @xstate/graph. It loads xstate and nothing of the runtime.
 */
export { controllerMachine } from './controller.machine';
export type { ControllerMachine, ControllerMachineContext, ControllerMachineInput, EventLoopCommand } from './controller.machine';
export type { ControllerMachineEvent, ControllerCommand, LoopNotification, LoopPhase } from './controller.events';
export { controllerStateName, type ControllerStateName } from './controllerState';
