import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startAgent, type RunningAgent } from '../../src/agent/agentProcess';
import { loadAgentConfig } from '../../src/agent/config';
import { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { NETWORK_DEPENDENCY_RULES, createNetworkHandlers, networkResourceRegistry, networkTypes } from '../../examples/network';
import { waitFor } from '../support/waitFor';
import { PrometheusServer, promtoolCheckMetrics } from './prometheusTools';

/**
 * The agent's /metrics as Prometheus itself reads it: Debian's promtool finds nothing to lint,
 * and a real Prometheus scrapes the agent and answers queries over its HTTP API.
 */

let dir: string;
let southbound: SouthboundServer;
let agent: RunningAgent;
let prometheus: PrometheusServer | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'agent-prometheus-'));
  southbound = await SouthboundServer.start({ listen: '127.0.0.1:0', engineOptions: { dependencyRules: [...NETWORK_DEPENDENCY_RULES] } });
  const config = loadAgentConfig({ env: {}, flags: new Map([['rest.port', '0'], ['dataDir', join(dir, 'agent')], ['southbound.address', southbound.address]]) });
  const registry = networkResourceRegistry();
  agent = await startAgent(config, { handlers: createNetworkHandlers(), registry, types: networkTypes, logger: pino({ level: 'silent' }) });
  await waitFor(() => agent.controller.eventHistory().length >= 1, 'the startup resync');
  await new KubeStateWriter(agent.store, registry).putResource('pod', { name: 'web', namespace: 'default' });
  await waitFor(() => agent.controller.eventHistory().some((r) => r.name === 'Kubernetes State Change'), 'the agent to process the pod');
});

afterAll(async () => {
  await prometheus?.stop();
  await agent?.close();
  await southbound?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("promtool check metrics finds nothing wrong in the agent's /metrics (controller, DB watcher, build and process metrics)", async () => {
  const text = await (await fetch(`${agent.restUrl}/metrics`)).text();
  for (const family of ['contiv_controller_events_processed_total', 'contiv_controller_db_connected', 'contiv_controller_build_info', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds']) {
    expect([family, text.includes(`# TYPE ${family} `)]).toEqual([family, true]);
  }
  expect(text).toMatch(/^contiv_controller_db_connected 1$/m);
  expect(promtoolCheckMetrics(text)).toEqual({ status: 0, output: '' });
  // The check can fail: a gauge named like a counter is what prom-client's defaults had.
  const flawed = promtoolCheckMetrics('# HELP x_total a gauge\n# TYPE x_total gauge\nx_total 1\n');
  expect(flawed.status).not.toBe(0);
  expect(flawed.output).toContain('non-counter metrics should not have "_total" suffix');
});

test('a real Prometheus scrapes the agent: up is 1 and the processed-events counter is above 0', async () => {
  prometheus = await PrometheusServer.start(join(dir, 'prometheus'), new URL(agent.restUrl).host);
  expect(await prometheus.waitFor('up{job="contivctl"}', (value) => value === 1)).toBe(1);
  const processed = await prometheus.waitFor('sum(contiv_controller_events_processed_total{job="contivctl"})', (value) => value > 0);
  expect(processed).toBeGreaterThanOrEqual(2);
  expect(await prometheus.waitFor('contiv_controller_ready{job="contivctl"}', () => true)).toBe(1);
  await prometheus.stop();
  prometheus = undefined;
});
