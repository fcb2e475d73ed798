import * as prom from 'prom-client';
import { BatchedCounter } from '../../src/agent/batchedCounter';

/** The counter's samples in the registry's exposition, by their label text. */
async function samples(registry: prom.Registry): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    const match = /^calls_total(\{.*\})? (\S+)$/.exec(line);
    if (match) found.set(match[1] ?? '', Number(match[2]));
  }
  return found;
}

describe('BatchedCounter', () => {
  let registry: prom.Registry;
  let counter: BatchedCounter<'handler' | 'operation'>;

  beforeEach(() => {
    registry = new prom.Registry();
    counter = new BatchedCounter({ name: 'calls_total', help: 'Calls.', labelNames: ['handler', 'operation'], registers: [registry] });
  });

  it('shows every increment made before a read, per label set, and keeps counting across reads', async () => {
    const update = counter.series({ handler: 'ipam', operation: 'update' });
    const revert = counter.series({ handler: 'ipam', operation: 'revert' });
    update.pending += 3;
    revert.pending++;
    expect(await samples(registry)).toEqual(
      new Map([
        ['{handler="ipam",operation="update"}', 3],
        ['{handler="ipam",operation="revert"}', 1],
      ]),
    );
    // A read hands the increments over once: a second read sees the same totals.
    expect((await samples(registry)).get('{handler="ipam",operation="update"}')).toBe(3);
    update.pending += 2;
    expect((await samples(registry)).get('{handler="ipam",operation="update"}')).toBe(5);
  });

  it('exports no sample for a label set that was never counted, as prom-client does', async () => {
    counter.series({ handler: 'nat', operation: 'resync' });
    expect(await samples(registry)).toEqual(new Map());
    expect(await registry.metrics()).toContain('# TYPE calls_total counter');
  });

  it('is read through the JSON form too', async () => {
    counter.series({ handler: 'ipam', operation: 'update' }).pending += 4;
    const [metric] = await registry.getMetricsAsJSON();
    expect(metric.values).toEqual([{ labels: { handler: 'ipam', operation: 'update' }, value: 4 }]);
  });
});
