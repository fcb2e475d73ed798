import {
  DBResync,
  HealingResync,
  EventMethodType,
  HandlerTimeoutError,
  KubeStateChange,
  type EventHandler,
} from '../../src';
import {
  createTestController,
  FakeSouthbound,
  SettleTimeoutError,
  TestFixtureError,
  WaitTimeoutError,
  waitFor,
  type TestController,
} from '../../src/testing';
import { InterfaceType, interfaceKey, podInterfaces } from './podInterfaces';

const controllers: TestController[] = [];
async function start(...args: Parameters<typeof createTestController>): Promise<TestController> {
  const ctl = await createTestController(...args);
  controllers.push(ctl);
  return ctl;
}
afterEach(async () => {
  for (const ctl of controllers.splice(0)) await ctl.close();
});

const WEB = 'k8s/pod/web/namespace/default';

describe('createTestController', () => {
  test('has done its startup resync of the given kube state (the reflector\'s field names) when it resolves', async () => {
    const ctl = await start({ handlers: [podInterfaces()], kubeState: { pod: [{ name: 'web', namespace: 'default', ip_address: '10.1.1.2' }] } });
    expect(ctl.history().map((r) => r.name)).toEqual([DBResync.eventName]);
    expect(ctl.health()).toMatchObject({ state: 'idle', ready: true });
    expect(ctl.southbound.appliedJson()).toEqual({ [interfaceKey(WEB)]: { name: WEB, ip: '10.1.1.2' } });
  });

  test('putKube and deleteKube push the changes the DB watcher would, with the previous value, and return their records', async () => {
    const calls: string[] = [];
    const ctl = await start({ handlers: [podInterfaces(calls)], kubeState: { pod: [{ name: 'web', namespace: 'default' }] } });
    const modified = await ctl.putKube('pod', { name: 'web', namespace: 'default', ipAddress: '10.1.1.9' });
    expect(modified.handlers).toEqual([{ handler: 'pod-interfaces', revert: false, change: `interface for ${WEB}` }]);
    expect(modified.description).toContain('prevValue');
    await ctl.deleteKube('pod', 'web', 'default');
    expect(ctl.southbound.appliedKeys()).toEqual([]);
    expect(calls).toEqual(['resync', `update ${WEB}`, `update ${WEB}`]);
    expect(ctl.southbound.operationLines().at(-1)).toEqual([`DELETE ${interfaceKey(WEB)} -> REMOVED`]);
  });

  test('a bad plain object is a TestFixtureError naming the field, and nothing is pushed', async () => {
    const ctl = await start({ handlers: [podInterfaces()] });
    await expect(ctl.putKube('pod', { name: 'web', namespace: 'default', ipAdress: 'x' })).rejects.toThrow(TestFixtureError);
    await expect(ctl.putKube('pod', { name: 'web' })).rejects.toThrow(/namespace/);
    await expect(ctl.putKube('pods', { name: 'web' })).rejects.toThrow(/no registered resource for keyword "pods"/);
    expect(ctl.history()).toHaveLength(1);
  });

  test('external config from plain objects is merged over the handler\'s value, and a resync carries it', async () => {
    const ctl = await start({
      handlers: [podInterfaces()],
      kubeState: { pod: [{ name: 'web', namespace: 'default' }] },
      externalConfig: { type: InterfaceType, values: { [interfaceKey(WEB)]: { mtu: 1400 } } },
    });
    expect(ctl.southbound.appliedJson()[interfaceKey(WEB)]).toEqual({ name: WEB, mtu: 1400 });
    await ctl.putExternalConfig({ [interfaceKey(WEB)]: { mtu: 9000 } });
    expect(ctl.southbound.appliedJson()[interfaceKey(WEB)]).toEqual({ name: WEB, mtu: 9000 });
    const resync = await ctl.resync();
    expect(resync.description).toContain(`external config: [${interfaceKey(WEB)}]`);
    await ctl.putExternalConfig({ [interfaceKey(WEB)]: null });
    expect(ctl.southbound.appliedJson()[interfaceKey(WEB)]).toEqual({ name: WEB });
  });
});

describe('simulated time', () => {
  test('a failed key schedules a healing resync that runs only when advance() reaches its delay', async () => {
    const southbound = new FakeSouthbound();
    const ctl = await start({ handlers: [podInterfaces()], southbound, config: { delayAfterErrorHealing: 5000 } });
    southbound.injectFailure({ keys: /web/, times: 1 });
    const failed = await ctl.putKube('pod', { name: 'web', namespace: 'default' });
    expect(failed.txnError).toBeDefined();
    await ctl.advance(4999);
    expect(ctl.history().map((r) => r.name)).not.toContain(HealingResync.eventName);
    await ctl.advance(1);
    expect(ctl.lastRecord().name).toBe(HealingResync.eventName);
    expect(ctl.southbound.appliedKeys()).toEqual([interfaceKey(WEB)]);
  });

  test('an outage is waited out with backoff on simulated time, then a full resync restores the state', async () => {
    const ctl = await start({ handlers: [podInterfaces()], config: { delayAfterErrorHealing: 1000 } });
    ctl.southbound.setUnavailable(true);
    await ctl.putKube('pod', { name: 'web', namespace: 'default' });
    expect(ctl.health()).toMatchObject({ southboundAvailable: false, live: true });
    await ctl.advance(1000 + 2000);
    expect(ctl.history().filter((r) => r.name === HealingResync.eventName)).toHaveLength(2);
    ctl.southbound.setUnavailable(false);
    await ctl.advance(4000);
    expect(ctl.health()).toMatchObject({ southboundAvailable: true, ready: true });
    expect(ctl.southbound.appliedKeys()).toEqual([interfaceKey(WEB)]);
  });

  test('without its startup resync, the controller goes fatal when advance() passes the deadline', async () => {
    const ctl = await start({ handlers: [podInterfaces()], startupResync: false, config: { startupResyncDeadline: 30_000 } });
    await ctl.advance(29_999);
    expect(ctl.health().live).toBe(true);
    await ctl.advance(1);
    expect(ctl.health()).toMatchObject({ state: 'fatal', live: false });
  });

  test('periodic healing runs on its interval of simulated time', async () => {
    const ctl = await start({ handlers: [podInterfaces()], config: { enablePeriodicHealing: true, periodicHealingInterval: 60_000 } });
    const start0 = ctl.now();
    await ctl.advance(180_000);
    const periodic = ctl.history().filter((r) => r.name === HealingResync.eventName);
    expect(periodic.map((r) => r.processingStart - start0)).toEqual([60_000, 120_000, 180_000]);
    expect(periodic.every((r) => r.method === EventMethodType.DownstreamResync && r.description.includes('(periodic)'))).toBe(true);
  });

  test('a handler that never answers times out when advance() passes handlerTimeout; settled() alone says what it waits for', async () => {
    const hanging: EventHandler = {
      name: 'hanging',
      handlesEvent: (event) => event instanceof KubeStateChange,
      resync: () => undefined,
      update: () => new Promise<string>(() => undefined),
      revert: () => undefined,
    };
    const ctl = await start({ handlers: [hanging], config: { handlerTimeout: 10_000 }, settleLimitMs: 300 });
    ctl.pushEvent(ctl.kubeState.put('pod', { name: 'web', namespace: 'default' }));
    await expect(ctl.settled()).rejects.toThrow(SettleTimeoutError);
    await expect(ctl.settled()).rejects.toThrow(/waiting for hanging.update\(\)/);
    await ctl.advance(10_000);
    const record = ctl.lastRecord(KubeStateChange.eventName);
    expect(record.handlers[0]).toMatchObject({ handler: 'hanging', timedOut: true });
    expect(record.handlers[0]?.error).toContain(new HandlerTimeoutError('hanging', 'update', 10_000).message);
  });
});

describe('waitFor', () => {
  test('resolves with the first value that is not undefined, null or false', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : undefined), 'three polls')).resolves.toBe(3);
    await expect(waitFor(() => 0, 'zero is a value')).resolves.toBe(0);
  });

  test('fails with WaitTimeoutError naming what it waited for, with the check\'s last error as cause', async () => {
    const failure = waitFor(() => {
      throw new Error('not yet');
    }, 'the impossible', { timeoutMs: 30 });
    await expect(failure).rejects.toThrow(WaitTimeoutError);
    await expect(failure).rejects.toMatchObject({ message: expect.stringContaining('the impossible'), cause: new Error('not yet') });
  });
});
