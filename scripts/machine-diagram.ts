/**
 * Generates the controller machine's diagram from its definition and rewrites it in place in
 * docs/architecture.md, between `<!-- machine-diagram:start -->` and `<!-- machine-diagram:end -->`.
 * The diagram is a Mermaid stateDiagram-v2 (parallel regions, delayed and eventless transitions
 * included) followed by a table of every transition, so the doc can never drift from the code.
 *
 * Run: `npm run diagram`. A jest test (test/docs/architectureDiagram.test.ts) fails when the doc
 * is out of date.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toDirectedGraph, type DirectedGraphNode } from '@xstate/graph';
import type { AnyStateNode } from '@xstate/graph';
import { DEFAULT_CONTROLLER_CONFIG } from '../src/api/config';
import { packageRoot } from '../src/packageRoot';
import { controllerMachine } from '../machines/controller.machine';

const START = '<!-- machine-diagram:start -->';
const END = '<!-- machine-diagram:end -->';

/** One transition, flattened: toDirectedGraph gives event transitions; `always` we add ourselves. */
interface Edge {
  source: AnyStateNode;
  /** Absent for a targetless transition (actions only, no state change). */
  target?: AnyStateNode;
  trigger: string;
  guard?: string;
  actions: string[];
}

type TransitionLike = { eventType: string; guard?: unknown; actions: readonly unknown[]; target?: readonly AnyStateNode[] };

const defaults = DEFAULT_CONTROLLER_CONFIG as unknown as Record<string, unknown>;

function triggerOf(transition: TransitionLike, node: AnyStateNode): string {
  if (transition.eventType === '') return 'always';
  const delayed = node.after.find((after) => after.eventType === transition.eventType);
  if (!delayed) return transition.eventType;
  const fallback = typeof delayed.delay === 'string' ? defaults[delayed.delay] : undefined;
  return `after ${String(delayed.delay)}${typeof fallback === 'number' ? ` (default ${fallback} ms)` : ''}`;
}

function guardOf(guard: unknown): string | undefined {
  if (guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  const { type, params } = guard as { type?: string; params?: Record<string, unknown> };
  const args = params ? Object.entries(params).map(([key, value]) => `${key}=${String(value)}`).join(', ') : '';
  return args ? `${type}(${args})` : String(type);
}

function actionName(action: unknown): string {
  if (typeof action === 'string') return action;
  const { type, to, assignment } = action as { type?: string; to?: unknown; assignment?: unknown };
  const name = (type ?? 'inline').replace(/^xstate\./, '');
  if (typeof to === 'string') return `${name}(${to})`;
  if (assignment && typeof assignment === 'object') return `${name}(${Object.keys(assignment).join(', ')})`;
  return name;
}

function edgesOf(graphNode: DirectedGraphNode): Edge[] {
  const node = graphNode.stateNode as AnyStateNode;
  const fromGraph: Edge[] = graphNode.edges.map((edge) => {
    const transition = edge.transition as unknown as TransitionLike;
    return {
      source: node,
      target: transition.target ? edge.target : undefined,
      trigger: triggerOf(transition, node),
      guard: guardOf(transition.guard),
      actions: transition.actions.map(actionName),
    };
  });
  const eventless: Edge[] = (node.always ?? []).flatMap((transition) =>
    (transition.target ?? [undefined]).map((target) => ({
      source: node,
      target,
      trigger: 'always',
      guard: guardOf(transition.guard),
      actions: transition.actions.map(actionName),
    })),
  );
  return [...fromGraph, ...eventless];
}

function allNodes(graphNode: DirectedGraphNode): DirectedGraphNode[] {
  return [graphNode, ...graphNode.children.flatMap(allNodes)];
}

/** Mermaid ids are global: a state's key, or `<parent>_<key>` when two states share a key. */
function mermaidIds(nodes: readonly AnyStateNode[]): Map<AnyStateNode, string> {
  const count = new Map<string, number>();
  for (const node of nodes) count.set(node.key, (count.get(node.key) ?? 0) + 1);
  return new Map(nodes.map((node) => [node, count.get(node.key) === 1 ? node.key : `${node.parent?.key ?? ''}_${node.key}`]));
}

function label(edge: Edge): string {
  const guard = edge.guard ? ` [${edge.guard}]` : '';
  const actions = edge.actions.length > 0 ? ` / ${edge.actions.join(', ')}` : '';
  const targetless = edge.target ? '' : ' (no state change)';
  // Mermaid ends a label at the first ';' and splits on ':' in some versions: keep them out.
  return `${edge.trigger}${guard}${actions}${targetless}`.replace(/[;:]/g, ' ');
}

function mermaid(graph: DirectedGraphNode): string {
  const nodes = allNodes(graph);
  const ids = mermaidIds(nodes.map((n) => n.stateNode as AnyStateNode));
  const edges = nodes.flatMap(edgesOf);
  const id = (node: AnyStateNode) => ids.get(node) as string;
  const lines = ['stateDiagram-v2'];
  // Edges between siblings are drawn inside their parent; the others at the top, after every
  // state is declared (Mermaid would otherwise create a new state in the inner scope). Inside a
  // parallel state the text after the last `--` belongs to the last region: nothing goes there.
  const isLocal = (e: Edge) => e.target !== undefined && e.target.parent === e.source.parent && e.source.parent?.type !== 'parallel';
  const crossing = edges.filter((e) => !isLocal(e));
  const local = edges.filter((e) => !crossing.includes(e));

  const emitLocalEdges = (children: readonly DirectedGraphNode[], indent: string): void => {
    for (const child of children) {
      const node = child.stateNode as AnyStateNode;
      for (const edge of local.filter((e) => e.source === node)) {
        lines.push(`${indent}${id(edge.source)} --> ${id(edge.target as AnyStateNode)} : ${label(edge)}`);
      }
      if (node.type === 'final') lines.push(`${indent}${id(node)} --> [*]`);
    }
  };
  const emit = (graphNode: DirectedGraphNode, indent: string): void => {
    const node = graphNode.stateNode as AnyStateNode;
    const children = graphNode.children;
    if (children.length > 0) {
      lines.push(`${indent}state ${id(node)} {`);
      const inner = `${indent}  `;
      if (node.type === 'parallel') {
        children.forEach((child, i) => {
          if (i > 0) lines.push(`${inner}--`);
          emit(child, inner);
        });
      } else {
        const initial = node.initial?.target[0];
        if (initial) lines.push(`${inner}[*] --> ${id(initial)}`);
        for (const child of children) emit(child, inner);
      }
      emitLocalEdges(children, inner);
      lines.push(`${indent}}`);
    } else if (id(node) !== node.key) {
      lines.push(`${indent}state "${node.key}" as ${id(node)}`);
    } else {
      lines.push(`${indent}${id(node)}`);
    }
  };
  // The root is the machine itself: draw its states at the top level.
  const root = graph.stateNode as AnyStateNode;
  lines.push(`  [*] --> ${id(root.initial?.target[0] as AnyStateNode)}`);
  for (const child of graph.children) emit(child, '  ');
  emitLocalEdges(graph.children, '  ');
  for (const edge of crossing) lines.push(`  ${id(edge.source)} --> ${id(edge.target ?? edge.source)} : ${label(edge)}`);
  return lines.join('\n');
}

function transitionTable(graph: DirectedGraphNode): string {
  const path = (node: AnyStateNode) => node.path.join('.') || '(root)';
  const rows = allNodes(graph)
    .flatMap(edgesOf)
    .map((e) => `| ${path(e.source)} | ${e.trigger} | ${e.guard ?? ''} | ${e.target ? path(e.target) : '(stays)'} | ${e.actions.join(', ')} |`);
  return ['| from | on | guard | to | actions |', '|---|---|---|---|---|', ...rows].join('\n');
}

function rootFacts(): string {
  const root = controllerMachine.root;
  const entry = root.entry.map(actionName).join(', ');
  const invokes = root.invoke.map((i) => `\`${i.id}\` (src \`${String(i.src)}\`, systemId \`${i.systemId}\`)`).join(', ');
  return `Machine \`${root.id}\`: entry action \`${entry}\`; invokes ${invokes}.`;
}

export function generateBlock(): string {
  const graph = toDirectedGraph(controllerMachine);
  return [
    START,
    '<!-- Generated by scripts/machine-diagram.ts from machines/controller.machine.ts: do not edit by hand. -->',
    rootFacts(),
    '',
    '```mermaid',
    mermaid(graph),
    '```',
    '',
    transitionTable(graph),
    END,
  ].join('\n');
}

export const ARCHITECTURE_DOC = join(packageRoot(), 'docs', 'architecture.md');

/** The generated block as docs/architecture.md holds it now. */
export function documentedBlock(doc = readFileSync(ARCHITECTURE_DOC, 'utf8')): string {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${ARCHITECTURE_DOC} has no ${START} ... ${END} block`);
  return doc.slice(start, end + END.length);
}

function main(): void {
  const doc = readFileSync(ARCHITECTURE_DOC, 'utf8');
  writeFileSync(ARCHITECTURE_DOC, doc.replace(documentedBlock(doc), generateBlock()));
  console.log(`machine diagram written to ${ARCHITECTURE_DOC}`);
}

if (require.main === module) main();
