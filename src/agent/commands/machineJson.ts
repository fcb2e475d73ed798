import { controllerMachine } from '../../../machines/controller.machine';

/**
 * Functions of the machine config as JSON: the named implementations are strings already; the
 * built-in actions XState makes inline (`assign(...)`, `sendTo(...)`) are functions, which
 * JSON.stringify would print as `null`. They appear by their XState type, with what they assign
 * or whom they send to.
 */
function describeFunction(value: (...args: unknown[]) => unknown): unknown {
  const action = value as { type?: unknown; assignment?: unknown; to?: unknown };
  if (typeof action.type !== 'string') return { type: value.name || 'inline function' };
  return {
    type: action.type,
    ...(action.assignment !== null && typeof action.assignment === 'object' && { assigns: Object.keys(action.assignment) }),
    ...(typeof action.to === 'string' && { to: action.to }),
  };
}

/** The machine as JSON: every action, guard and actor by name. */
export function machineJson(definition: boolean): string {
  const json: unknown = definition ? controllerMachine.toJSON() : controllerMachine.config;
  return JSON.stringify(json, (_key, value: unknown) => (typeof value === 'function' ? describeFunction(value as () => unknown) : value), 2);
}

