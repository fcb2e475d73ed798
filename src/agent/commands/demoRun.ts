import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Controller } from '../../controller';
import { KubeStateWriter } from '../../dbwatcher/kubeStateWriter';
import { SouthboundAdminClient } from '../../southbound/grpc/adminClient';
import { SouthboundServer } from '../../southbound/agent/server';
import { NETWORK_DEPENDENCY_RULES, createNetworkHandlers, networkResourceRegistry, networkTypes } from '../../../examples/network';
import { runScenario } from '../../../examples/network/scenario';
import { startAgent, type RunningAgent } from '../agentProcess';
import { loadAgentConfig, type AgentConfig } from '../config';
import { createAgentLogger } from '../logging';
import { startInspectorFromOptions } from './inspectorFlags';
import { errorMessage, stringOption, type CommandIo, type OptionValues } from './io';
import { stopAgent } from './lifecycle';
import { EXIT } from './runner';
import { settingFlagValues } from './settingOptions';
import { firstShutdownSignal } from './signals';
import { startFailureMessage } from './startFailure';

/** The demo's own defaults, below environment variables and flags. */
function demoDefaults(dataDir: string): Map<string, string | boolean> {
  // A shorter healing delay keeps the scenario's healing step to a couple of seconds.
  return new Map<string, string | boolean>([
    ['dataDir', dataDir],
    ['controller.delayAfterErrorHealing', '1000'],
    ['controller.delayRetry', '500'],
  ]);
}

/** The agent has nothing left to do: empty queues, idle, and no new event for a little while. */
async function waitForIdle(controller: Controller): Promise<void> {
  const quietMs = 250;
  let lastCount = -1;
  let quietSince = Date.now();
  for (;;) {
    const depths = controller.queueDepths();
    const count = controller.eventHistory().length;
    const busy = depths.main + depths.followUp + depths.delayed > 0 || controller.health().state !== 'idle' || count !== lastCount;
    if (busy) {
      lastCount = count;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function printUrls(io: CommandIo, agent: RunningAgent, southbound: SouthboundServer, dataDir: string): void {
  io.out(
    [
      '',
      `dashboard:         ${agent.restUrl}/dashboard/   (live, in a browser; docs/dashboard.md)`,
      `REST API:          ${agent.restUrl}`,
      `  event history:   ${agent.restUrl}/controller/event-history?last=10   (or: contivctl history --url ${agent.restUrl} --last 10)`,
      `  state:           ${agent.restUrl}/controller/state`,
      `  readiness:       ${agent.restUrl}/readyz   liveness: ${agent.restUrl}/livez`,
      `  metrics:         ${agent.restUrl}/metrics`,
      `  resync:          curl -X POST ${agent.restUrl}/controller/resync   (or: contivctl resync --url ${agent.restUrl})`,
      `southbound:        ${southbound.address} (contivctl southbound's protocol; docs/southbound-protocol.md)`,
      `embedded store:    ${dataDir} (write to it: contivctl put pod --data-dir ${dataDir} --json '{"name":"p","namespace":"default"}')`,
      '',
    ].join('\n'),
  );
}

/** `contivctl demo ...`: resolves with the exit code. */
export async function runDemo(values: OptionValues, io: CommandIo): Promise<number> {
  const tempDir = mkdtempSync(join(tmpdir(), 'contivctl-demo-'));
  let southbound: SouthboundServer | undefined;
  let agent: RunningAgent | undefined;
  let logger: Logger | undefined;
  let code = 0;
  try {
    const flags = settingFlagValues(values);
    let config: AgentConfig;
    try {
      config = loadAgentConfig({ defaults: demoDefaults(tempDir), flags });
    } catch (error) {
      io.err(`demo: ${errorMessage(error)}\n`);
      return EXIT.usage;
    }
    logger = createAgentLogger(config.log);
    const signal = firstShutdownSignal(logger);
    southbound = await SouthboundServer.start({
      listen: '127.0.0.1:0',
      engineOptions: { dependencyRules: [...NETWORK_DEPENDENCY_RULES] },
      logger: logger.child({ component: 'southbound' }),
    });
    // The southbound is the demo's own: its address overrides any setting.
    config = { ...config, southbound: { address: southbound.address } };
    const inspector = await startInspectorFromOptions(values, logger, io);
    if (inspector === 'failed') return EXIT.failed;
    const registry = networkResourceRegistry();
    const started = await startAgent(config, { handlers: createNetworkHandlers(), registry, types: networkTypes, logger, inspect: inspector?.inspect });
    agent = started;
    printUrls(io, started, southbound, config.dataDir);
    const admin = new SouthboundAdminClient({ address: southbound.address });
    const scenario = runScenario({
      writer: new KubeStateWriter(started.store, registry),
      agentLabel: config.agentLabel,
      controller: started.controller,
      southboundAdmin: admin,
      log: (line) => io.out(`${line}\n`),
      waitForIdle: () => waitForIdle(started.controller),
    }).then(
      () => 'done' as const,
      (error: unknown) => {
        logger?.error({ err: error }, 'demo scenario failed');
        return 'failed' as const;
      },
    );
    const outcome = await Promise.race([scenario, signal.then(() => 'signal' as const)]);
    admin.close();
    if (outcome === 'failed') code = EXIT.failed;
    if (outcome === 'done' && values.exitAfterScenario !== true) {
      io.out(`\nScenario done. The agent keeps running: look at the URLs above; Ctrl-C stops it.\n`);
      await signal;
    }
    const stopped = await stopAgent(started, logger, { historyOut: stringOption(values, 'historyOut'), shutdownTimeoutMs: config.shutdownTimeout });
    agent = undefined;
    await inspector?.close();
    return code || stopped.code;
  } catch (error) {
    io.err(`demo: ${startFailureMessage(error)}\n`);
    return EXIT.failed;
  } finally {
    if (agent) await agent.close().catch(() => undefined);
    await southbound?.stop();
    rmSync(tempDir, { recursive: true, force: true });
  }
}
