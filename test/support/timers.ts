import { createHook } from 'node:async_hooks';

/**
 * Records the Node timers created from now until `stopRecording()`, and which of them are still
 * alive. "Nothing happens after close()" is shown by every recorded timer being gone, not by
 * sleeping and looking (Node reports destroyed timers asynchronously: wait for `live.size` 0).
 */
export function recordTimers(): { live: ReadonlySet<number>; stopRecording(): void; dispose(): void } {
  const live = new Set<number>();
  let recording = true;
  const hook = createHook({
    init: (id, type) => {
      if (recording && type === 'Timeout') live.add(id);
    },
    destroy: (id) => live.delete(id),
  }).enable();
  return {
    live,
    stopRecording: () => {
      recording = false;
    },
    dispose: () => hook.disable(),
  };
}
