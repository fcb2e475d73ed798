/**
 * A long run with the event history on (bench/memoryRows.ts runs it in a fresh process): pod
 * changes in bursts of `chunk`, each burst built, pushed and awaited; every `sampleEvery` events,
 * garbage is collected and the resident set size sampled.
 */
import { serveTask } from './childTask';
import { barrier, readyController } from './controllerSetup';
import { collectGarbage } from './stats';
import { CopySouthbound, Counter, podChanges } from './workload';

export interface MemoryInput {
  events: number;
  sampleEvery: number;
  /** Events built and pushed at once: a small share of a sample, so the queue's own size does not show. */
  chunk: number;
}

export interface MemoryOutput {
  /** RSS before the first event (controller started, startup resync done), bytes. */
  startRss: number;
  /** RSS and heap used after every `sampleEvery` events, bytes. */
  rss: number[];
  heapUsed: number[];
  historyRecords: number;
}

async function longRun(input: MemoryInput): Promise<MemoryOutput> {
  const counter = new Counter();
  const controller = await readyController(new CopySouthbound(), { eventQueueSize: input.chunk + 16 });
  collectGarbage();
  const output: MemoryOutput = { startRss: process.memoryUsage().rss, rss: [], heapUsed: [], historyRecords: 0 };
  for (let done = 0; done < input.events; ) {
    for (const event of podChanges(input.chunk, counter, done)) controller.pushEvent(event);
    await barrier(controller);
    done += input.chunk;
    if (done % input.sampleEvery !== 0) continue;
    collectGarbage();
    const usage = process.memoryUsage();
    output.rss.push(usage.rss);
    output.heapUsed.push(usage.heapUsed);
  }
  counter.check(input.events);
  output.historyRecords = controller.eventHistory().length;
  await controller.close();
  return output;
}

serveTask(module, longRun);
