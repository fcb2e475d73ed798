/**
 * Property: whatever the events and the failures, once failures stop and the AfterError healing
 * resync has run, the southbound holds exactly what the handlers derive from the final kube state,
 * with the final external config merged over it (step 8 of the semantics page).
 */
import fc from 'fast-check';
import pino from 'pino';
import type { Event } from '../../src/api/event';
import { DBResync, ExternalConfigChange, HealingResync } from '../../src/api/events';
import type { EventRecord } from '../../src/api/history';
import { createController } from '../../src/controller';
import { InMemorySouthbound } from '../../src/southbound/memory';
import { jsonMap, value } from '../support/messages';
import { expectedSouthbound, namespaceHandler, podHandler, type FailureScript } from '../support/modelPodConfig';
import { quiet, scenario, World, type Failures, type Scenario } from '../support/podScenario';
import { waitFor } from '../support/waitFor';

function failed(record: EventRecord): boolean {
  return record.txnError !== undefined || record.handlers.some((h) => h.error !== undefined);
}

function isAfterErrorHealing(record: EventRecord): boolean {
  return record.name === HealingResync.eventName && record.description.includes('after error');
}

const stats = { runs: 0, runsWithFailures: 0, runsWithoutFailures: 0, southboundFailures: 0, healings: 0 };

async function check(input: Scenario): Promise<void> {
  const southbound = new InMemorySouthbound();
  const world = new World();
  const failuresOf = new WeakMap<Event, Failures>();
  let current: Event | undefined;
  /** Keys the handlers put or deleted for `current`: this transaction's own values. */
  const ownKeys = new Set<string>();

  const script: FailureScript = {
    failingHandler: (event) => failuresOf.get(event)?.handler ?? undefined,
    seen: (event) => {
      if (event === current) return;
      current = event;
      ownKeys.clear();
      const failure = failuresOf.get(event)?.southbound;
      if (failure) {
        southbound.injectFailure({
          // Only keys whose failure the controller must heal (handler keys: this transaction's or
          // the internal config's), never during a healing resync: a healing resync that fails is
          // fatal by design, and a failure of external-only keys is left to southbound retries.
          keys: (key) =>
            key.startsWith(failure.prefix) && !(current instanceof HealingResync) && (ownKeys.has(key) || controller.getConfig(key) !== undefined),
          times: failure.times,
        });
      }
    },
    touched: (key) => ownKeys.add(key),
  };
  const controller = createController({
    handlers: [podHandler(script), namespaceHandler(script)],
    southbound,
    config: { delayAfterErrorHealing: input.delayAfterErrorHealing, enableRetry: false },
    logger: pino({ level: 'silent' }),
  });
  await controller.start();
  try {
    // Pushed at once: the commands wait for the startup resync in the queue, in order.
    controller.pushEvent(world.resync(input.initial.pods, input.initial.external));
    for (const cmd of input.commands) {
      const event = world.event(cmd);
      failuresOf.set(event, { handler: cmd.handler, southbound: cmd.southbound });
      controller.pushEvent(event);
    }
    const pushed = 1 + input.commands.length;
    await waitFor(
      () => controller.eventHistory().filter((r) => r.name !== HealingResync.eventName).length === pushed && quiet(controller),
      'every event processed, and the healing resync (if any) done',
    );

    const records = controller.eventHistory();
    const failures = records.filter(failed);
    const healings = records.filter(isAfterErrorHealing);
    stats.runs++;
    if (failures.length > 0) stats.runsWithFailures++;
    else stats.runsWithoutFailures++;
    stats.southboundFailures += records.filter((r) => r.txnError !== undefined).length;
    stats.healings += healings.length;

    expect(controller.health()).toEqual({ state: 'idle', ready: true, live: true, southboundAvailable: true });
    expect(healings.filter(failed).map((r) => r.seqNum)).toEqual([]);
    if (failures.length > 0) {
      const lastFailure = Math.max(...failures.map((r) => r.seqNum));
      expect({ lastFailure, healedAfter: healings.some((r) => r.seqNum > lastFailure) }).toEqual({ lastFailure, healedAfter: true });
    }
    expect(jsonMap(southbound.applied)).toEqual(jsonMap(expectedSouthbound(world.pods, world.external)));
  } finally {
    await controller.close();
  }
}

describe('controller convergence under random events and failures', () => {
  // Found by this property: events pushed before the first DBResync was processed used to be
  // replayed ahead of a second DBResync pushed before them, whose older snapshot then overwrote
  // the newer change. Push order is kept from the first DBResync on.
  test('a change pushed after a second DBResync, before the first is processed, is applied after that DBResync', async () => {
    const southbound = new InMemorySouthbound();
    const controller = createController({ handlers: [], southbound, logger: pino({ level: 'silent' }) });
    await controller.start();
    try {
      controller.pushEvent(new DBResync());
      controller.pushEvent(new DBResync());
      const change = new ExternalConfigChange('db');
      change.updatedKVs.set('cfg/extra', value({ tags: ['ext'] }));
      controller.pushEvent(change);
      await change.wait();
      await waitFor(() => controller.eventHistory().length === 3 && controller.health().state === 'idle', 'three events processed');
      expect(controller.eventHistory().map((r) => r.name)).toEqual([DBResync.eventName, DBResync.eventName, ExternalConfigChange.eventName]);
      expect(jsonMap(southbound.applied)).toEqual({ 'cfg/extra': { tags: ['ext'] } });
    } finally {
      await controller.close();
    }
  });

  test('after the healing resync the southbound holds the handlers config of the final kube state merged with the final external config', async () => {
    await fc.assert(fc.asyncProperty(scenario, check), { numRuns: 40 });
    // The property is only worth something if failures and healings did happen.
    expect(stats.runs).toBeGreaterThanOrEqual(40);
    expect(stats.runsWithFailures).toBeGreaterThan(0);
    expect(stats.runsWithoutFailures).toBeGreaterThan(0);
    expect(stats.southboundFailures).toBeGreaterThan(0);
    expect(stats.healings).toBeGreaterThan(0);
  });
});
