/**
 * The demo's scripted scenario (`contivctl demo`): drives a running agent (controller + DB
 * watcher on a store + reference southbound, with the network handlers) through what the runtime
 * does, writing to the store as a reflector would and printing what each step shows.
 */
import type { KubeStateWriter } from '../../src/dbwatcher/kubeStateWriter';
import type { Controller } from '../../src/controller';
import type { SouthboundAdminClient } from '../../src/southbound/grpc/adminClient';
import { networkKeys, podTapName } from './keys';
import { viewOf, type InterfaceFields } from './messages';
import { PodMtuChange } from './podMtuChange';
import { NAT_MAX_MTU } from './serviceNatHandler';
import { HistoryCursor, recordKey, waitUntil } from './scenarioHistory';
import { ScenarioError } from './errors';

export { ScenarioError };

export interface ScenarioContext {
  /** Writes kube state and external config into the agent's store (its registry must know the network models). */
  writer: KubeStateWriter;
  agentLabel: string;
  controller: Controller;
  southboundAdmin: SouthboundAdminClient;
  log(line: string): void;
  /** Resolves when the agent has nothing left to process. */
  waitForIdle(): Promise<void>;
}

/** What the scenario writes, for callers (and tests) that check the outcome. */
export const SCENARIO = {
  namespaces: ['default', 'shop'],
  pods: [
    { name: 'web-1', namespace: 'shop' },
    { name: 'web-2', namespace: 'shop' },
    { name: 'client-1', namespace: 'default' },
  ],
  /** The pod whose TAP fails once in the southbound. */
  flakyPod: { name: 'client-2', namespace: 'default' },
  /** Deleted at the end. */
  deletedPod: { name: 'client-1', namespace: 'default' },
  service: { name: 'web', namespace: 'shop', clusterIp: '10.96.0.10', port: 80, targetPort: 8080 },
  /** Set by external config on web-1's interface. */
  externalMtu: 1400,
  acceptedMtu: 9000,
  refusedMtu: 9216,
} as const;

const podKey = (pod: { name: string; namespace: string }) => `k8s/pod/${pod.name}/namespace/${pod.namespace}`;

/** The address IPAM gave a pod, as the pod network put it on the pod's TAP. */
function podAddress(controller: Controller, pod: { name: string; namespace: string }): string {
  const value = controller.getConfig(networkKeys.interface(podTapName(pod.namespace, pod.name)));
  const address = value && viewOf<InterfaceFields>(value).ipAddresses[0]?.split('/')[0];
  if (!address) throw new ScenarioError(`scenario: pod ${pod.namespace}/${pod.name} has no interface`);
  return address;
}

export async function runScenario(ctx: ScenarioContext): Promise<void> {
  const { writer, controller, log } = ctx;
  const history = new HistoryCursor(controller, log);
  const step = async (title: string, body: () => Promise<void>) => {
    log('');
    log(`=== ${title} ===`);
    await body();
    await ctx.waitForIdle();
    history.printNew();
  };

  await step('startup resync', async () => {
    await waitUntil(() => controller.health().ready, 'the startup resync');
  });

  await step(`namespaces ${SCENARIO.namespaces.join(', ')} (no handler reacts to namespaces: the events are recorded, nothing is committed)`, async () => {
    for (const name of SCENARIO.namespaces) await writer.putResource('namespace', { name });
    await history.waitForKeys(SCENARIO.namespaces.map((name) => `k8s/namespace/${name}`));
  });

  await step('pods: IPAM allocates an address, then the pod network wires a TAP, an ARP entry and a route (Forward order)', async () => {
    for (const pod of SCENARIO.pods) await writer.putResource('pod', { ...pod });
    await history.waitForKeys(SCENARIO.pods.map(podKey));
  });

  const { service } = SCENARIO;
  const backends = SCENARIO.pods.filter((pod) => pod.namespace === service.namespace);
  await step(`service ${service.namespace}/${service.name} and its endpoints: one DNAT44 from ${service.clusterIp}:${service.port} to the pods`, async () => {
    // In a cluster the kubelet reports the CNI's address and the endpoints controller writes it.
    // Written as the reflector writes them: the models' original field names.
    const addresses = backends.map((pod) => ({ ip: podAddress(controller, pod), node_name: 'node-1' }));
    await writer.putResource('service', {
      name: service.name,
      namespace: service.namespace,
      cluster_ip: service.clusterIp,
      port: [{ name: 'http', protocol: 'TCP', port: service.port, target_port: { int_val: service.targetPort } }],
    });
    await writer.putResource('endpoints', {
      name: service.name,
      namespace: service.namespace,
      endpoint_subsets: [{ addresses, ports: [{ name: 'http', port: service.targetPort, protocol: 'TCP' }] }],
    });
    await history.waitForKeys([`k8s/service/${service.name}/namespace/${service.namespace}`, `k8s/endpoints/${service.name}/namespace/${service.namespace}`]);
  });

  const web1Tap = networkKeys.interface(podTapName('shop', 'web-1'));
  await step(`external config: the DB sets MTU ${SCENARIO.externalMtu} on ${web1Tap}; the controller merges it over the handler's value`, async () => {
    try {
      await writer.putExternalConfig(ctx.agentLabel, web1Tap, { mtu: SCENARIO.externalMtu });
    } catch (error) {
      throw new ScenarioError('the writer cannot encode the external config: give the agent and the writer networkResourceRegistry()', { cause: error });
    }
    const record = await history.waitFor((r) => r.name === 'External Config Change', 'the external config change');
    history.printNew();
    const applied = record.txn?.values.find((v) => v.key === web1Tap)?.value;
    log(`committed ${web1Tap} = ${JSON.stringify(applied)}`);
  });

  const flakyTap = networkKeys.interface(podTapName(SCENARIO.flakyPod.namespace, SCENARIO.flakyPod.name));
  await step(`a failing key: the southbound fails ${flakyTap} once and retries it; the controller heals with a resync`, async () => {
    // Left over by an earlier run on the same data dir: remove it, or the put below changes nothing.
    if (await writer.deleteResource('pod', SCENARIO.flakyPod.name, SCENARIO.flakyPod.namespace)) {
      await history.waitForKeys([podKey(SCENARIO.flakyPod)]);
      history.printNew();
    }
    await ctx.southboundAdmin.injectFault({ keyPattern: `^${flakyTap}$`, times: 1, error: 'injected: TAP creation failed' });
    await writer.putResource('pod', { ...SCENARIO.flakyPod });
    const failed = await history.waitFor((r) => recordKey(r) === podKey(SCENARIO.flakyPod), 'the flaky pod');
    history.printNew();
    if (!failed.txnError) throw new ScenarioError(`#${failed.seqNum} did not fail: was the fault injected into the agent's southbound?`);
    log(`#${failed.seqNum} failed in the southbound; the southbound keeps the TAP RETRYING (its ARP entry PENDING on it) and retries it on its own`);
    const healing = await history.waitFor(
      (r) => r.name === 'Healing Resync',
      'the healing resync',
      failed.seqNum,
      controller.config.delayAfterErrorHealing + 30_000,
    );
    history.printNew();
    const touched = healing.txn?.executed.filter((op) => op.key === flakyTap) ?? [];
    log(
      `healing resync #${healing.seqNum} ${healing.txnError ? `failed: ${healing.txnError}` : 'succeeded'}; ` +
        (touched.length === 0 ? `${flakyTap} needed nothing: the southbound's retry had configured it` : `it re-applied ${flakyTap}`),
    );
  });

  await step(`RevertOnFailure: Pod MTU Change to ${SCENARIO.acceptedMtu} (accepted), then to ${SCENARIO.refusedMtu} (refused by service-nat above ${NAT_MAX_MTU})`, async () => {
    const accepted = new PodMtuChange(SCENARIO.acceptedMtu);
    controller.pushEvent(accepted);
    await accepted.wait();
    history.printNew();
    log(`MTU ${SCENARIO.acceptedMtu} committed (web-1 keeps the DB's ${SCENARIO.externalMtu}: external config wins the merge)`);
    const refused = new PodMtuChange(SCENARIO.refusedMtu);
    controller.pushEvent(refused);
    await refused.wait().then(
      () => log(`unexpected: MTU ${SCENARIO.refusedMtu} was accepted`),
      (error: Error) => {
        history.printNew();
        log(`refused: ${error.message}; pod-network reverted, nothing committed`);
      },
    );
  });

  await step(`pod delete ${SCENARIO.deletedPod.namespace}/${SCENARIO.deletedPod.name}: Reverse order, the pod network unwires before IPAM releases`, async () => {
    await writer.deleteResource('pod', SCENARIO.deletedPod.name, SCENARIO.deletedPod.namespace);
    await history.waitForKeys([podKey(SCENARIO.deletedPod)]);
  });

  log('');
  log(`scenario done: ${history.lastPrinted + 1} events processed; health ${JSON.stringify(controller.health())}`);
}
