import type { AnyStateMachine, AnyStateNode } from 'xstate';
import type { DiagramNode } from './protocol';

/** A state of the machine, before layout. */
export type MachineState = Omit<DiagramNode, 'x' | 'y' | 'width' | 'height'> & { children: string[] };

/** A transition of the machine, before layout. */
export interface MachineTransition {
  id: string;
  source: string;
  target: string;
  label: string;
  actions: string[];
  internal: boolean;
}

export interface MachineGraph {
  /** The machine's own node (its id, e.g. `controller`): not drawn, its states are. */
  rootId: string;
  /** Parents before their children. */
  states: MachineState[];
  transitions: MachineTransition[];
}

interface TransitionLike {
  eventType: string;
  guard?: unknown;
  actions: readonly unknown[];
  target?: readonly AnyStateNode[];
}

function triggerOf(eventType: string, node: AnyStateNode): string {
  if (eventType === '') return 'always';
  const delayed = node.after.find((after) => after.eventType === eventType);
  return delayed ? `after ${String(delayed.delay)}` : eventType;
}

/** `phaseIs(resyncing)`: the guard's name and its parameters' values. */
function guardOf(guard: unknown): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  const { type, params } = guard as { type?: string; params?: Record<string, unknown> };
  const args = params ? Object.values(params).map(String).join(', ') : '';
  return args ? `${String(type)}(${args})` : String(type ?? 'guard');
}

function actionName(action: unknown): string {
  if (typeof action === 'string') return action;
  const { type, to } = action as { type?: string; to?: unknown };
  const name = (type ?? 'inline').replace(/^xstate\./, '');
  return typeof to === 'string' ? `${name}(${to})` : name;
}

function kindOf(node: AnyStateNode): MachineState['kind'] {
  if (node.parent?.type === 'parallel') return 'region';
  if (node.type === 'history') return 'atomic';
  return node.type;
}

/**
 * The states and transitions of an XState machine, read from its definition: what the dashboard
 * draws. Targetless transitions (actions only) become self-transitions marked `internal`;
 * delayed ones read `after <delay>`, eventless ones `always`.
 */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const states: MachineState[] = [];
  const transitions: MachineTransition[] = [];
  const visit = (node: AnyStateNode): void => {
    const children = Object.values(node.states) as AnyStateNode[];
    if (node.parent) {
      const initial = node.parent.type === 'compound' && node.parent.initial?.target.includes(node) === true;
      states.push({
        id: node.id,
        label: node.key,
        kind: kindOf(node),
        ...(node.parent.parent && { parent: node.parent.id }),
        initial,
        children: children.map((child) => child.id),
      });
    }
    const defined = [...node.transitions.values()].flat() as unknown as TransitionLike[];
    const eventless = (node.always ?? []) as unknown as TransitionLike[];
    for (const transition of [...defined, ...eventless]) {
      const guard = guardOf(transition.guard);
      const label = `${triggerOf(transition.eventType, node)}${guard ? ` [${guard}]` : ''}`;
      const actions = transition.actions.map(actionName);
      const targets = transition.target && transition.target.length > 0 ? transition.target : undefined;
      for (const target of targets ?? [node]) {
        transitions.push({ id: `t${transitions.length}`, source: node.id, target: target.id, label, actions, internal: targets === undefined });
      }
    }
    for (const child of children) visit(child);
  };
  visit(machine.root);
  return { rootId: machine.root.id, states, transitions };
}
