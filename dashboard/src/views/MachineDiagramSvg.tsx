import { memo } from 'preact/compat';
import type { DiagramEdge, DiagramNode, MachineDiagram } from '../../../src/agent/dashboard/protocol';

function pathOf(edge: DiagramEdge, nodes: Map<string, DiagramNode>): string {
  if (edge.points.length >= 2) return edge.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
  // A self-transition ELK left unrouted: a small loop on the node's right side.
  const node = nodes.get(edge.source);
  if (!node) return '';
  const x = node.x + node.width;
  const y = node.y + node.height / 2;
  return `M${x},${y - 6} C${x + 24},${y - 18} ${x + 24},${y + 18} ${x},${y + 6}`;
}

function NodeShape({ node, active }: { node: DiagramNode; active: boolean }) {
  const leaf = node.kind === 'atomic' || node.kind === 'final' || node.kind === 'any';
  return (
    <g class={`node kind-${node.kind}${active ? ' active' : ''}`} data-state-id={node.id} data-active={String(active)}>
      <title>{node.kind === 'any' ? `transitions ${node.parent ?? ''} takes from any of its states` : `${node.id}${active ? ' (active)' : ''}`}</title>
      <rect x={node.x} y={node.y} width={node.width} height={node.height} rx={node.kind === 'any' ? node.height / 2 : leaf ? 8 : 10} />
      {node.kind === 'final' && <rect class="final-inner" x={node.x + 3} y={node.y + 3} width={node.width - 6} height={node.height - 6} rx={6} />}
      <text x={leaf ? node.x + node.width / 2 : node.x + 10} y={leaf ? node.y + node.height / 2 + 4 : node.y + 17} text-anchor={leaf ? 'middle' : 'start'}>
        {node.label}
        {node.kind === 'parallel' ? ' ∥' : ''}
      </text>
      {node.initial && <circle class="initial" cx={node.x - 5} cy={node.y + 7} r={4} />}
    </g>
  );
}

/**
 * The controller machine as laid out at build time: states nested in their parents, parallel
 * regions dashed, transitions with their triggers; active states highlighted.
 */
export const MachineDiagramSvg = memo(function MachineDiagramSvg({ diagram, active, actualSize }: { diagram: MachineDiagram; active: string; actualSize: boolean }) {
  const activeIds = new Set(active.split(' '));
  const nodes = new Map(diagram.nodes.map((node) => [node.id, node]));
  const activeLeaves = diagram.nodes.filter((node) => activeIds.has(node.id) && (node.kind === 'atomic' || node.kind === 'final')).map((node) => node.label);
  return (
    <svg
      class={`machine${actualSize ? ' actual-size' : ''}`}
      viewBox={`-12 -4 ${diagram.width + 24} ${diagram.height + 8}`}
      width={diagram.width + 24}
      role="img"
      aria-label={`Controller machine; active: ${activeLeaves.join(', ')}`}
    >
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" class="arrow-head" />
        </marker>
      </defs>
      {diagram.nodes.map((node) => (
        <NodeShape node={node} active={activeIds.has(node.id)} />
      ))}
      {diagram.edges.map((edge) => (
        <g class={`edge${edge.internal ? ' internal' : ''}`} data-edge-source={edge.source} data-edge-target={edge.target}>
          <title>
            {edge.label}
            {edge.internal ? ' (no state change)' : ''}
            {edge.actions.length > 0 ? ` / ${edge.actions.join(', ')}` : ''}
          </title>
          <path d={pathOf(edge, nodes)} marker-end="url(#arrow)" />
          {edge.labelBox && (
            <text class="edge-label" x={edge.labelBox.x} y={edge.labelBox.y + edge.labelBox.height - 4}>
              {edge.label}
            </text>
          )}
        </g>
      ))}
    </svg>
  );
});
