import * as prom from 'prom-client';
import { packageVersion } from './packageVersion';

/**
 * prom-client's default metrics that `promtool check metrics` rejects: gauges named `_total`.
 * Their per-type versions (`nodejs_active_handles{type}` ...) stay; sum them for the total.
 */
const LINT_FAILING_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/**
 * The process's own metrics: `<prefix>build_info` (1, with the version and Node.js as labels)
 * and prom-client's default process and Node.js metrics (CPU, memory, event-loop lag, GC,
 * handles) under their usual unprefixed names, as dashboards for Node.js services expect them.
 */
export function registerProcessMetrics(registry: prom.Registry, prefix: string): void {
  new prom.Gauge({
    name: `${prefix}build_info`,
    help: 'Always 1; the labels say which build runs: version (package.json) and node_version.',
    labelNames: ['version', 'node_version'],
    registers: [registry],
  }).set({ version: packageVersion(), node_version: process.version }, 1);
  prom.collectDefaultMetrics({ register: registry });
  for (const name of LINT_FAILING_DEFAULTS) registry.removeSingleMetric(name);
}
