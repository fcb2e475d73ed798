/**
 * The scripted demo (`npm run demo`): the example handlers on the in-memory southbound, driven
 * through a startup resync, pod add and delete, an external config change, a failed commit
 * healed by the AfterError healing resync, and a RevertOnFailure event that is reverted. It then
 * prints the event history and the applied configuration, closes the controller and lets Node
 * exit on its own: a timer or actor left running would keep the process alive.
 */
import pino from 'pino';
import {
  DBResync,
  ExternalConfigChange,
  InMemorySouthbound,
  KubeStateChange,
  createController,
  type ConfigRetriever,
  type Controller,
  type EventRecord,
  type KubeStateData,
} from '../src';
import { InterfaceMtuChange } from './events/interfaceMtuChange';
import { exampleHandlers } from './handlers';
import { InterfaceType, NAMESPACE_RESOURCE, POD_RESOURCE, keys, namespaceMessage, podMessage, render, type PodFields } from './messages';

const HEALING_DELAY_MS = 300;

function podChange(pod: PodFields, change: 'add' | 'delete'): KubeStateChange {
  const value = podMessage(pod);
  return new KubeStateChange({
    key: keys.pod(pod.name, pod.namespace),
    resource: POD_RESOURCE,
    ...(change === 'add' ? { newValue: value } : { prevValue: value }),
  });
}

function startupKubeState(pods: PodFields[], namespaces: string[]): KubeStateData {
  return new Map([
    [NAMESPACE_RESOURCE, new Map(namespaces.map((name) => [keys.namespace(name), namespaceMessage(name)]))],
    [POD_RESOURCE, new Map(pods.map((pod) => [keys.pod(pod.name, pod.namespace), podMessage(pod)]))],
  ]);
}

/** Non-blocking events have no completion to await: watch the history instead. */
async function waitForRecord(controller: Controller, matches: (record: EventRecord) => boolean, what: string): Promise<EventRecord> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const found = controller.eventHistory().find(matches);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function step(title: string): void {
  console.log(`\n=== ${title} ===`);
}

function printSummary(controller: Controller, southbound: InMemorySouthbound): void {
  step('event history');
  for (const record of controller.eventHistory()) {
    const handled = record.handlers.filter((call) => !call.revert).map((call) => call.handler);
    const reverted = record.handlers.filter((call) => call.revert).map((call) => call.handler);
    const errors = record.handlers.filter((call) => call.error).map((call) => `${call.handler}${call.revert ? ' (revert)' : ''}: ${call.error}`);
    if (record.txnError) errors.push(`txn: ${record.txnError}`);
    const followUp = record.isFollowUp ? ` (follow-up of #${record.followUpTo})` : '';
    console.log(
      `#${record.seqNum} ${record.name}${followUp}\n` +
        `    handlers: ${handled.join(', ') || '-'}\n` +
        `    errors:   ${errors.join(' | ') || '-'}\n` +
        `    reverted: ${reverted.join(', ') || '-'}`,
    );
  }
  step('applied configuration (InMemorySouthbound)');
  for (const key of [...southbound.applied.keys()].sort()) console.log(`${key} = ${render(southbound.applied.get(key))}`);
  console.log(`(${southbound.transactions.length} southbound transactions)`);
}

async function main(): Promise<void> {
  // A synchronous destination keeps the log lines in order with the demo's own console output.
  const logger = pino({ level: 'info', base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ dest: 1, sync: true }));
  const southbound = new InMemorySouthbound();
  // The handlers need the controller's getConfig, and the controller needs the handlers.
  let controller: Controller | undefined;
  const config: ConfigRetriever = { getConfig: (key) => controller?.getConfig(key) };
  controller = createController({
    handlers: exampleHandlers(config),
    southbound,
    logger,
    config: { delayAfterErrorHealing: HEALING_DELAY_MS },
  });
  await controller.start();

  step('startup resync: namespaces default and blue, pods web-1 and db-1');
  controller.pushEvent(
    new DBResync({
      kubeState: startupKubeState(
        [
          { name: 'web-1', namespace: 'default', ipAddress: '10.1.1.2' },
          { name: 'db-1', namespace: 'blue', ipAddress: '10.1.2.2' },
        ],
        ['default', 'blue'],
      ),
    }),
  );
  await waitForRecord(controller, (r) => r.name === DBResync.eventName, 'the startup resync');

  step('pod add: web-2 in namespace blue');
  controller.pushEvent(podChange({ name: 'web-2', namespace: 'blue', ipAddress: '10.1.2.3' }, 'add'));
  step('pod delete: db-1');
  controller.pushEvent(podChange({ name: 'db-1', namespace: 'blue', ipAddress: '10.1.2.2' }, 'delete'));

  step('external config change: the DB sets MTU 1400 and an extra address on the interface of web-1');
  const external = new ExternalConfigChange('db', true);
  external.updatedKVs.set(keys.podInterface('web-1'), InterfaceType.fromObject({ mtu: 1400, ipAddresses: ['10.1.1.100/32'] }));
  controller.pushEvent(external);
  await external.wait();

  step(`failing best-effort event: the southbound fails the interface of web-3 once; healing after ${HEALING_DELAY_MS} ms`);
  southbound.injectFailure({ keys: keys.podInterface('web-3'), times: 1, error: 'injected: tap device busy' });
  controller.pushEvent(podChange({ name: 'web-3', namespace: 'default', ipAddress: '10.1.1.3' }, 'add'));
  const healing = await waitForRecord(controller, (r) => r.name === 'Healing Resync', 'the healing resync');
  console.log(`healing resync #${healing.seqNum}: ${healing.txnError ?? 'succeeded'}`);

  step('RevertOnFailure event: MTU 9000 for web-2 (accepted), then MTU 9216 for web-1 (refused by the route handler)');
  const accepted = new InterfaceMtuChange('web-2', 9000);
  controller.pushEvent(accepted);
  await accepted.wait();
  const refused = new InterfaceMtuChange('web-1', 9216);
  controller.pushEvent(refused);
  await refused.wait().then(
    () => console.log('unexpected: the MTU change was accepted'),
    (err: Error) => console.log(`refused as expected: ${err.message}`),
  );

  printSummary(controller, southbound);
  step('close');
  await controller.close();
  console.log(`health after close: ${JSON.stringify(controller.health())}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
