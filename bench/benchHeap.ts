import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/**
 * A full garbage collection of the bench's own process. The rows that run in this process leave
 * hundreds of MB of garbage behind; collected later, that work (concurrent marking on both cores,
 * then a pause) lands inside whatever a child process measures then: a full run once put the
 * latency row's p99 at 7.2 ms against 2.5–3.9 ms with the same family run alone.
 */
export function collectBenchGarbage(): void {
  if (!collect) {
    // The process needs no --expose-gc of its own: `node dist/bench/run.js` stays the command.
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}
