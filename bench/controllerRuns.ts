import pino from 'pino';
import { DBResync, ExternalConfigChange, InMemorySouthbound, createController, type Controller, type Event } from '../src';
import { benchHandlers, type BenchUpdate } from './workload';

const silentLogger = pino({ level: 'silent' });

/** A controller past its startup resync, so that no event is held back. */
async function readyController(queueSize: number): Promise<Controller> {
  const controller = createController({
    handlers: benchHandlers(),
    southbound: new InMemorySouthbound(),
    logger: silentLogger,
    // Room for the whole burst: pushEvent never waits, a full queue is an immediate error.
    config: { eventQueueSize: queueSize },
  });
  await controller.start();
  controller.pushEvent(new DBResync());
  await barrier(controller);
  return controller;
}

/** A blocking event after everything pushed so far: resolves once all of it is processed. */
async function barrier(controller: Controller): Promise<void> {
  const marker = new ExternalConfigChange('bench', true);
  controller.pushEvent(marker);
  await marker.wait();
}

/** Every event of the run must have been processed without error. */
function checkHistory(controller: Controller, expectedEvents: number): void {
  const records = controller.eventHistory();
  const failed = records.filter((r) => r.txnError || r.handlers.some((h) => h.error));
  // +2: the startup resync and the first barrier; +1 for the closing barrier of the burst run.
  if (records.length < expectedEvents + 2) throw new Error(`only ${records.length} events in the history, expected ${expectedEvents + 2}+`);
  if (failed.length > 0) throw new Error(`${failed.length} events failed, e.g. #${failed[0].seqNum}`);
}

/** Pushes every event at once, then waits for the last one. Returns the elapsed milliseconds. */
export async function runBurst(events: readonly Event[]): Promise<number> {
  const controller = await readyController(events.length + 16);
  const start = performance.now();
  for (const event of events) controller.pushEvent(event);
  await barrier(controller);
  const elapsed = performance.now() - start;
  checkHistory(controller, events.length);
  await controller.close();
  return elapsed;
}

/** Pushes one event, waits for its done(), then the next. Returns the elapsed milliseconds. */
export async function runStrict(events: readonly BenchUpdate[]): Promise<number> {
  const controller = await readyController(16);
  const start = performance.now();
  for (const event of events) {
    controller.pushEvent(event);
    await event.processed;
  }
  const elapsed = performance.now() - start;
  checkHistory(controller, events.length);
  await controller.close();
  return elapsed;
}
