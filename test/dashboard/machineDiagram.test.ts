import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { activeStateIds } from '../../src/agent/dashboard/controllerView';
import { defaultAssetsDir } from '../../src/agent/dashboard/assets';
import { machineGraph } from '../../src/agent/dashboard/machineGraph';
import type { MachineDiagram } from '../../src/agent/dashboard/protocol';
import { controllerMachine } from '../../machines/controller.machine';

/** The diagram `npm run build` ships (the test command builds first). */
function builtDiagram(): MachineDiagram {
  const file = join(defaultAssetsDir(), 'machine.json');
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as MachineDiagram;
  } catch (cause) {
    throw new Error(`${file} is missing or broken: run "npm run build"`, { cause });
  }
}

test('the graph holds every state and every transition of the machine definition', () => {
  const graph = machineGraph(controllerMachine);
  const ids = graph.states.map((state) => state.id);
  expect(ids).toEqual(expect.arrayContaining(['controller.running', 'controller.running.loop.idle', 'controller.running.healing.outage.waiting', 'controller.stopped']));
  expect(graph.states.find((state) => state.id === 'controller.running')?.kind).toBe('parallel');
  expect(graph.states.filter((state) => state.kind === 'region').map((state) => state.label)).toEqual(['loop', 'healing', 'periodicHealing', 'historyTrimming']);
  const labels = graph.transitions.map((t) => `${t.source} -> ${t.target}: ${t.label}${t.internal ? ' (internal)' : ''}`);
  expect(labels).toEqual(
    expect.arrayContaining([
      'controller.running -> controller.fatal: loop.fatal',
      'controller.running.loop -> controller.running.loop.resyncing: loop.phase [phaseIs(resyncing)]',
      'controller.running.loop -> controller.running.loop: loop.startupResyncDone (internal)',
      'controller.running.loop.awaitingStartupResync -> controller.fatal: after startupResyncDeadline',
      'controller.running.healing.scheduled -> controller.running.healing.queued: after delayAfterErrorHealing',
      'controller.running.historyTrimming.deciding -> controller.running.historyTrimming.waiting: always [historyEnabled]',
    ]),
  );
  // Each transition of the definition, once per target.
  const defined = [...controllerMachine.root.states.running.states.loop.transitions.values()].flat();
  expect(graph.transitions.filter((t) => t.source === 'controller.running.loop')).toHaveLength(defined.reduce((n, t) => n + Math.max(1, t.target?.length ?? 0), 0));
});

test('the built diagram draws every state and routes every transition of the current definition', () => {
  const graph = machineGraph(controllerMachine);
  const diagram = builtDiagram();
  const drawn = new Set(diagram.nodes.map((node) => node.id));
  for (const state of graph.states) expect(drawn).toContain(state.id);
  expect(diagram.edges.map((edge) => edge.id).sort()).toEqual(graph.transitions.map((t) => t.id).sort());
  for (const edge of diagram.edges) {
    expect({ edge: edge.id, routed: edge.points.length >= 2 }).toEqual({ edge: edge.id, routed: true });
    expect(drawn).toContain(edge.source);
    expect(drawn).toContain(edge.target);
  }
  // Children are drawn inside their parents.
  const byId = new Map(diagram.nodes.map((node) => [node.id, node]));
  for (const node of diagram.nodes) {
    const parent = node.parent && byId.get(node.parent);
    if (!parent) continue;
    expect(node.x >= parent.x && node.y >= parent.y && node.x + node.width <= parent.x + parent.width && node.y + node.height <= parent.y + parent.height).toBe(true);
  }
});

test('the active state ids of a state value are the state nodes the diagram draws', () => {
  const value = { running: { loop: 'idle', healing: { outage: 'waiting' }, periodicHealing: 'off', historyTrimming: 'waiting' } };
  const active = activeStateIds(value, 'controller');
  expect(active).toEqual([
    'controller.running',
    'controller.running.loop',
    'controller.running.loop.idle',
    'controller.running.healing',
    'controller.running.healing.outage',
    'controller.running.healing.outage.waiting',
    'controller.running.periodicHealing',
    'controller.running.periodicHealing.off',
    'controller.running.historyTrimming',
    'controller.running.historyTrimming.waiting',
  ]);
  const drawn = new Set(builtDiagram().nodes.map((node) => node.id));
  for (const id of active) expect(drawn).toContain(id);
  expect(activeStateIds('fatal', 'controller')).toEqual(['controller.fatal']);
});
