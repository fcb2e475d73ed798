import { DBResync, KubeStateChange, type Controller } from '../../src';
import { pod } from '../support/messages';
import { waitFor } from '../support/waitFor';
import { capturingLogger, memoryFixture, names, recordingHandler, startController } from '../support/harness';

describe('verification mode', () => {
  let controller: Controller | undefined;
  afterEach(async () => {
    await controller?.close();
    controller = undefined;
  });

  test('every successful event is followed up by a VerificationResync; a drifted handler is logged as an error', async () => {
    const { logger, lines } = capturingLogger();
    // A handler whose incremental update forgets deletes: its state drifts from what a resync builds.
    const pods = new Set<string>();
    const handler = recordingHandler('drifty', [], {
      resync: (_ev, kubeState) => {
        pods.clear();
        for (const key of kubeState.get('pod')?.keys() ?? []) pods.add(key);
      },
      update: (ev) => {
        if (ev instanceof KubeStateChange && ev.newValue) pods.add(ev.key);
      },
      describe: () => [...pods].sort().join(','),
    });
    controller = await startController({ handlers: [handler], southbound: memoryFixture().southbound, logger, config: { enableVerification: true } });
    controller.pushEvent(new DBResync({ kubeState: new Map([['pod', new Map([['a', pod('a')]])]]) }));
    controller.pushEvent(new KubeStateChange({ key: 'b', resource: 'pod', newValue: pod('b') }));
    await waitFor(() => names(controller as Controller).length === 4 && controller?.health().state === 'idle', 'four events');
    expect(names(controller)).toEqual(['Database Resync', 'Verification Resync', 'Kubernetes State Change', 'Verification Resync']);
    expect(controller.eventHistory()[1]).toMatchObject({ isFollowUp: true, followUpTo: 0 });
    expect(lines.filter((l) => l.msg === 'verification failed')).toEqual([]);

    controller.pushEvent(new KubeStateChange({ key: 'b', resource: 'pod', prevValue: pod('b') }));
    await waitFor(() => lines.some((l) => l.msg === 'verification failed'), 'mismatch logged');
    const mismatch = lines.find((l) => l.msg === 'verification failed');
    expect(mismatch).toMatchObject({ level: 50, handler: 'drifty', before: 'a,b', after: 'a', seqNum: 5 });
    await waitFor(() => controller?.health().state === 'idle', 'idle');
    expect(controller.eventHistory({ seqNum: 5 })[0].handlers[0].error).toBe('verification of handler "drifty" failed: internal data differs after resync');
  });
});
