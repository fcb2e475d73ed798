/**
 * Lays out the controller machine's graph with ELK (the Eclipse Layout Kernel) at build time.
 * The page only draws the result, so neither ELK nor a layout step runs in the agent or the
 * browser.
 *
 * Each compound state is laid out on its own (layered, top-down); a parallel state packs its
 * regions into rows so the diagram stays readable on a laptop screen. A transition a compound
 * state handles for all its children ("from any state of loop") starts at a small `any state`
 * node inside it. The rare transition that leaves its parent for a distant state is routed
 * afterwards with a plain elbow line.
 */
import ELK, { type ElkExtendedEdge, type ElkNode } from 'elkjs/lib/elk.bundled.js';
import type { MachineGraph, MachineState, MachineTransition } from '../../src/agent/dashboard/machineGraph';
import type { DiagramEdge, DiagramNode, MachineDiagram } from '../../src/agent/dashboard/protocol';

/** The page draws labels at 11-12px; an average glyph is about 6.6px wide there. */
const CHAR_WIDTH = 6.6;
const LABEL_HEIGHT = 15;
const STATE_HEIGHT = 30;
/** Room for a compound state's title above its children. */
const TITLE_ROOM = 26;

const textWidth = (text: string) => Math.ceil(text.length * CHAR_WIDTH);
export const anyStateId = (compoundId: string) => `${compoundId}#any`;

interface Placed {
  elk: ElkExtendedEdge;
  transition: MachineTransition;
  source: string;
  target: string;
}

/** Where each transition is drawn from and in which container ELK lays it out (undefined: routed by hand). */
function placeTransitions(graph: MachineGraph, byId: Map<string, MachineState>): { placed: Map<string, Placed[]>; manual: MachineTransition[]; anyNodes: Set<string> } {
  const parentOf = (id: string) => byId.get(id)?.parent ?? graph.rootId;
  const placed = new Map<string, Placed[]>();
  const manual: MachineTransition[] = [];
  const anyNodes = new Set<string>();
  const add = (container: string, transition: MachineTransition, source: string, target: string) => {
    const elk: ElkExtendedEdge = { id: transition.id, sources: [source], targets: [target], labels: [{ text: transition.label, width: textWidth(transition.label), height: LABEL_HEIGHT }] };
    placed.set(container, [...(placed.get(container) ?? []), { elk, transition, source, target }]);
  };
  for (const transition of graph.transitions) {
    const source = byId.get(transition.source);
    const fromCompound = source !== undefined && source.children.length > 0;
    if (fromCompound && (transition.internal || parentOf(transition.target) === transition.source)) {
      // Handled by the compound state whatever its active child: drawn from its `any state` node.
      anyNodes.add(transition.source);
      add(transition.source, transition, anyStateId(transition.source), transition.internal ? anyStateId(transition.source) : transition.target);
    } else if (parentOf(transition.source) === parentOf(transition.target)) {
      add(parentOf(transition.source), transition, transition.source, transition.target);
    } else {
      manual.push(transition);
    }
  }
  return { placed, manual, anyNodes };
}

function elkNode(state: MachineState, byId: Map<string, MachineState>, placed: Map<string, Placed[]>, anyNodes: Set<string>): ElkNode {
  if (state.children.length === 0) return { id: state.id, width: textWidth(state.label) + 26, height: STATE_HEIGHT };
  const children = state.children.map((id) => elkNode(byId.get(id) as MachineState, byId, placed, anyNodes));
  if (anyNodes.has(state.id)) children.unshift({ id: anyStateId(state.id), width: textWidth('any state') + 16, height: 22 });
  const packing = state.kind === 'parallel';
  return {
    id: state.id,
    children,
    edges: (placed.get(state.id) ?? []).map((p) => p.elk),
    layoutOptions: {
      ...(packing
        ? { 'elk.algorithm': 'rectpacking', 'elk.aspectRatio': '1.9', 'elk.spacing.nodeNode': '16' }
        : { 'elk.algorithm': 'layered', 'elk.direction': 'DOWN', 'elk.edgeRouting': 'ORTHOGONAL', 'elk.layered.spacing.nodeNodeBetweenLayers': '30', 'elk.spacing.nodeNode': '22', 'elk.spacing.edgeLabel': '3', 'elk.spacing.edgeNode': '12' }),
      'elk.padding': `[top=${TITLE_ROOM},left=12,bottom=12,right=12]`,
      'elk.nodeSize.constraints': 'MINIMUM_SIZE',
      'elk.nodeSize.minimum': `(${textWidth(state.label) + 40}, ${TITLE_ROOM + 20})`,
    },
  };
}

function elbow(source: DiagramNode, target: DiagramNode): { x: number; y: number }[] {
  const start = { x: source.x + source.width / 2, y: source.y + source.height };
  const end = { x: target.x + target.width / 2, y: target.y };
  const midY = end.y - 14;
  return [start, { x: start.x, y: midY }, { x: end.x, y: midY }, end];
}

/** Node positions and edge routes of the machine, in one coordinate space (the diagram's). */
export async function layoutMachine(graph: MachineGraph): Promise<MachineDiagram> {
  const byId = new Map(graph.states.map((state) => [state.id, state]));
  const { placed, manual, anyNodes } = placeTransitions(graph, byId);
  const root: ElkNode = {
    id: graph.rootId,
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '34',
      'elk.spacing.nodeNode': '24',
      'elk.padding': '[top=8,left=8,bottom=8,right=8]',
      'elk.json.shapeCoords': 'ROOT',
      'elk.json.edgeCoords': 'ROOT',
    },
    children: graph.states.filter((state) => state.parent === undefined).map((state) => elkNode(state, byId, placed, anyNodes)),
    edges: (placed.get(graph.rootId) ?? []).map((p) => p.elk),
  };
  const laid = await new ELK().layout(root);

  const nodes: DiagramNode[] = [];
  const laidEdges = new Map<string, ElkExtendedEdge>();
  const collect = (node: ElkNode, parent: string | undefined): void => {
    for (const edge of node.edges ?? []) laidEdges.set(edge.id, edge);
    for (const child of node.children ?? []) {
      const box = { x: child.x ?? 0, y: child.y ?? 0, width: child.width ?? 0, height: child.height ?? 0 };
      const state = byId.get(child.id);
      if (state) {
        const { children: _children, ...rest } = state;
        nodes.push({ ...rest, ...box });
      } else {
        nodes.push({ id: child.id, label: 'any state', kind: 'any', ...(parent && { parent }), initial: false, ...box });
      }
      collect(child, child.id);
    }
  };
  collect(laid, undefined);
  const nodeById = new Map(nodes.map((node) => [node.id, node]));

  const edges: DiagramEdge[] = [];
  for (const list of placed.values()) {
    for (const { transition, source, target } of list) {
      const edge = laidEdges.get(transition.id);
      const section = edge?.sections?.[0];
      const label = edge?.labels?.[0];
      edges.push({
        ...transition,
        source,
        target,
        points: section ? [section.startPoint, ...(section.bendPoints ?? []), section.endPoint].map(({ x, y }) => ({ x, y })) : [],
        ...(label?.x !== undefined && { labelBox: { x: label.x, y: label.y ?? 0, width: label.width ?? 0, height: label.height ?? 0 } }),
      });
    }
  }
  for (const transition of manual) {
    const points = elbow(nodeById.get(transition.source) as DiagramNode, nodeById.get(transition.target) as DiagramNode);
    const width = textWidth(transition.label);
    edges.push({ ...transition, points, labelBox: { x: points[1].x + 4, y: points[1].y - LABEL_HEIGHT, width, height: LABEL_HEIGHT } });
  }
  edges.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
  return { width: laid.width ?? 0, height: laid.height ?? 0, nodes, edges };
}
