import { DBResync, HealingResync, createController, type Controller, type EventHandler, type KubeStateData } from '../../src';
import type { ProtoMessage } from '../../src/api/types';
import type { GrpcSouthbound } from '../../src/southbound/grpc/client';
import type { SouthboundServer } from '../../src/southbound/agent/server';
import { connect, iface, silentLogger, startServer, waitFor } from './helpers';

/** As many values as the agent had: the whole of them must come back. */
const COUNT = 10_000;

/** One interface per pod, all of them on every resync. */
const interfaces: EventHandler = {
  name: 'interfaces',
  handlesEvent: (event) => event instanceof DBResync || event instanceof HealingResync,
  resync(_event, kubeState, _count, txn) {
    for (const key of kubeState.get('pod')?.keys() ?? []) txn.put(`config/interface/${key}`, iface(key));
  },
  update() {},
  revert() {},
};

function pods(count: number): KubeStateData {
  const state = new Map<string, ProtoMessage>();
  for (let i = 0; i < count; i++) state.set(`pod-${i}`, iface(`pod-${i}`));
  return new Map([['pod', state]]);
}

describe('a southbound restarted while the controller is idle', () => {
  let server: SouthboundServer;
  let southbound: GrpcSouthbound;
  let controller: Controller;

  afterEach(async () => {
    await controller.close();
    await southbound.close();
    await server.stop();
  });

  it('is noticed by the client on its own: the controller restores the whole applied state without any event', async () => {
    server = await startServer();
    southbound = connect(server);
    controller = createController({ handlers: [interfaces], southbound, logger: silentLogger });
    await controller.start();
    controller.pushEvent(new DBResync({ kubeState: pods(COUNT) }));
    await waitFor(() => controller.health().ready && server.engine.dump().length === COUNT, 'the startup resync', 30_000);
    const firstInstance = southbound.instanceId;

    // Restarted on the same port: a new instance with an empty state; nothing is pushed after it.
    const port = server.port;
    await server.stop();
    server = await startServer({ listen: `127.0.0.1:${port}` });
    expect(server.engine.dump()).toEqual([]);

    await waitFor(() => server.engine.dump().filter((s) => s.state === 'CONFIGURED').length === COUNT, 'the applied state to be restored', 30_000);
    expect(southbound.instanceId).toBe(server.engine.instanceId);
    expect(southbound.instanceId).not.toBe(firstInstance);
    // The resync's record is appended once its processing ends, just after its commit.
    await waitFor(() => controller.eventHistory().length === 2, 'the resync to be recorded', 15_000);
    expect(controller.eventHistory().map((r) => r.name)).toEqual(['Database Resync', 'Healing Resync']);
    expect(controller.eventHistory()[1].txn?.resyncType).toBe('full');
  });
});
