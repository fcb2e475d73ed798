import fc from 'fast-check';
import * as prom from 'prom-client';
import { BatchedHistogram } from '../../src/agent/batchedHistogram';

const BUCKETS = [0.0005, 0.001, 0.01, 0.5, 1, 10];
const LABEL_SETS = [
  { handler: 'ipam', operation: 'update' },
  { handler: 'pod-network', operation: 'resync' },
  { handler: 'ipam', operation: 'revert' },
];
const CONFIG = { name: 'handler_seconds', help: 'Duration of handler calls.', labelNames: ['handler', 'operation'] as ('handler' | 'operation')[], buckets: BUCKETS };

describe('BatchedHistogram', () => {
  it('is exposed exactly as prom-client exposes its own histogram of the same observations (property)', async () => {
    // Values on the bounds, between them, above the last, zero and negative.
    const value = fc.oneof(fc.constantFrom(...BUCKETS, 0, -1, 20), fc.double({ min: -1, max: 30, noNaN: true }));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(LABEL_SETS.length - 1), value), { maxLength: 60 }), async (observations) => {
        const ours = new prom.Registry();
        const theirs = new prom.Registry();
        const batched = new BatchedHistogram({ ...CONFIG, registers: [ours] });
        const reference = new prom.Histogram({ ...CONFIG, registers: [theirs] });
        const series = new Map<number, ReturnType<typeof batched.series>>();
        for (const [set, observed] of observations) {
          // A series is made when its label set is first used, as the controller's metrics do.
          if (!series.has(set)) series.set(set, batched.series(LABEL_SETS[set]));
          series.get(set)?.observe(observed);
          reference.observe(LABEL_SETS[set], observed);
        }
        expect(await ours.metrics()).toBe(await theirs.metrics());
      }),
      { numRuns: 150 },
    );
  });

  it('exposes nothing for a series never observed, starts over on resetMetrics, and refuses what is not a number', async () => {
    const registry = new prom.Registry();
    const histogram = new BatchedHistogram({ ...CONFIG, registers: [registry] });
    const series = histogram.series(LABEL_SETS[0]);
    expect(await registry.metrics()).not.toContain('handler_seconds_count');
    series.observe(0.002);
    expect(await registry.metrics()).toContain('handler_seconds_count{handler="ipam",operation="update"} 1');
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('handler_seconds_count');
    expect(() => series.observe(Number.NaN)).toThrow(TypeError);
    const [metric] = await registry.getMetricsAsJSON();
    expect(metric).toMatchObject({ name: 'handler_seconds', type: 'histogram', values: [] });
  });

  it('refuses a configuration prom-client would refuse', () => {
    const registers = [new prom.Registry()];
    expect(() => new BatchedHistogram({ ...CONFIG, name: 'bad-name', registers })).toThrow(TypeError);
    expect(() => new BatchedHistogram({ ...CONFIG, labelNames: ['le'] as never[], registers })).toThrow(/reserved/);
    expect(() => new BatchedHistogram({ ...CONFIG, buckets: [1, 1], registers })).toThrow(/strictly increasing/);
  });
});
