import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { Page } from 'playwright-core';
import type { EventHandler } from '../../src/api/handler';
import { startAgent, type RunningAgent } from '../../src/agent/agentProcess';
import { loadAgentConfig } from '../../src/agent/config';
import { SouthboundServer } from '../../src/southbound/agent/server';
import { packageRoot } from '../../src/packageRoot';

/** Where the browser tests write their screenshots (kept after the run; .tmp/ is not committed). */
export const SCREENSHOT_DIR = join(process.env.TEST_OUTPUT_DIR ?? join(packageRoot(), '.tmp', 'test-output'), 'dashboard');

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return join(SCREENSHOT_DIR, `${name}.png`);
}

export interface DashboardAgent {
  agent: RunningAgent;
  /** e.g. http://127.0.0.1:41234/dashboard/ */
  dashboardUrl: string;
  restUrl: string;
  /** Every log line the agent wrote (JSON). */
  logLines: string[];
  close(): Promise<void>;
}

/**
 * A real agent in this process: the reference southbound over gRPC on loopback, the embedded
 * store in a temporary directory, the REST server (and so the dashboard) on a free port.
 */
export async function startDashboardAgent(options: { handlers: EventHandler[]; token?: string }): Promise<DashboardAgent> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dashboard-agent-'));
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  const southbound = await SouthboundServer.start({ listen: '127.0.0.1:0', logger: logger.child({ component: 'southbound' }) });
  const defaults = new Map<string, string>([
    ['dataDir', dataDir],
    ['rest.port', '0'],
    ['southbound.address', southbound.address],
    ['controller.delayAfterErrorHealing', '500'],
    ...(options.token !== undefined ? ([['rest.token', options.token]] as [string, string][]) : []),
  ]);
  try {
    const agent = await startAgent(loadAgentConfig({ defaults, env: {} }), { handlers: options.handlers, logger });
    return {
      agent,
      restUrl: agent.restUrl,
      dashboardUrl: `${agent.restUrl}/dashboard/`,
      logLines,
      close: async () => {
        await agent.close();
        await southbound.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await southbound.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** The sequence numbers, names and results of the timeline's rows, top to bottom. */
export async function timelineRows(page: Page): Promise<{ seq: number; name: string; result: string; tags: string }[]> {
  return page.$$eval('tr.row', (rows) =>
    rows.map((row) => ({
      seq: Number(row.getAttribute('data-seq')),
      name: row.querySelector('.event-name')?.textContent ?? '',
      result: row.getAttribute('data-result') ?? '',
      tags: row.getAttribute('data-tags') ?? '',
    })),
  );
}

/** The ids of the highlighted states of the machine diagram. */
export async function activeDiagramStates(page: Page): Promise<string[]> {
  return page.$$eval('svg.machine g.node[data-active="true"]', (nodes) => nodes.map((node) => node.getAttribute('data-state-id') ?? ''));
}
