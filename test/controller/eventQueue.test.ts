import { KubeStateChange, DBResync } from '../../src';
import { EventQueue } from '../../src/loop/eventQueue';
import { pod } from '../support/messages';

describe('EventQueue wake-ups', () => {
  function openQueue(): { queue: EventQueue; wakeUps: () => number; close: () => void } {
    const queue = new EventQueue(10);
    let count = 0;
    const subscription = queue.ready$.subscribe(() => count++);
    queue.openGate();
    return { queue, wakeUps: () => count, close: () => subscription.unsubscribe() };
  }
  const change = (name: string): KubeStateChange => new KubeStateChange({ resource: 'pod', key: name, prevValue: null, newValue: pod(name) });

  test('an empty queue wakes the loop up once per burst of pushes', () => {
    const { queue, wakeUps, close } = openQueue();
    queue.pushMain(change('a'));
    queue.pushMain(change('b'));
    expect(wakeUps()).toBe(1);
    close();
  });

  test('while the loop drains, pushes send no wake-up; endDrain tells the loop what came meanwhile', () => {
    const { queue, wakeUps, close } = openQueue();
    queue.beginDrain();
    queue.pushMain(change('a'));
    queue.pushFollowUp(change('b'), 7);
    expect(wakeUps()).toBe(0);
    // The loop stops only when nothing is waiting: events pushed since its last look are taken now.
    expect(queue.endDrain()).toBe(true);
    queue.beginDrain();
    expect(queue.next()).toMatchObject({ event: { key: 'b' }, followUpTo: 7 });
    expect(queue.next()).toMatchObject({ event: { key: 'a' }, followUpTo: undefined });
    expect(queue.endDrain()).toBe(false);
    // Stopped: the next push wakes the loop up again.
    queue.pushMain(change('c'));
    expect(wakeUps()).toBe(1);
    close();
  });

  test('before the first DBResync, a held DBResync counts as waiting', () => {
    const queue = new EventQueue(10);
    queue.beginDrain();
    queue.pushMain(change('a'));
    expect(queue.endDrain()).toBe(false);
    queue.pushMain(new DBResync({}));
    expect(queue.endDrain()).toBe(true);
  });
});
