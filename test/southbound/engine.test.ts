import fc from 'fast-check';
import { DependencyRules } from '../../src/southbound/agent/dependencyRules';
import { KeyStore } from '../../src/southbound/agent/keyStore';
import { DEFAULT_MAX_RECORDED_TXNS, SchedulerEngine } from '../../src/southbound/agent/scheduler';
import type { StoredValue, ValueStatus } from '../../src/southbound/agent/types';
import { routeRules } from './helpers';

function v(text: string): StoredValue {
  return { type_url: 'type.googleapis.com/test.Text', value: Buffer.from(text) };
}

function stateMap(engine: SchedulerEngine): Record<string, string> {
  return Object.fromEntries(engine.dump().map((s) => [s.key, s.state]));
}

describe('SchedulerEngine (in-process)', () => {
  let engine: SchedulerEngine;
  afterEach(() => engine.close());

  it('applies an update and numbers transactions from 1', () => {
    engine = new SchedulerEngine();
    const result = engine.commit({ values: [{ key: 'a', value: v('1') }, { key: 'b', value: v('2') }] });
    expect(result).toEqual({ seqNum: 1n, keyErrors: [] });
    expect(stateMap(engine)).toEqual({ a: 'CONFIGURED', b: 'CONFIGURED' });
    expect(engine.commit({ values: [{ key: 'a', value: null }] }).seqNum).toBe(2n);
    expect(stateMap(engine)).toEqual({ b: 'CONFIGURED' });
    expect(engine.dataplane.get('a')).toBeUndefined();
  });

  it('keeps a dependent PENDING until its dependency exists, and cascades back when it goes', () => {
    engine = new SchedulerEngine({ dependencyRules: routeRules });
    const changes: ValueStatus[] = [];
    engine.statusChanges$.subscribe((s) => changes.push(s));
    engine.commit({ values: [{ key: 'config/route/eth0/10.1.0.0', value: v('r') }] });
    expect(stateMap(engine)).toEqual({ 'config/route/eth0/10.1.0.0': 'PENDING' });
    expect(engine.dataplane.get('config/route/eth0/10.1.0.0')).toBeUndefined();

    engine.commit({ values: [{ key: 'config/interface/eth0', value: v('i') }] });
    expect(stateMap(engine)).toEqual({ 'config/interface/eth0': 'CONFIGURED', 'config/route/eth0/10.1.0.0': 'CONFIGURED' });

    const removal = engine.commit({ values: [{ key: 'config/interface/eth0', value: null }] });
    expect(stateMap(engine)).toEqual({ 'config/route/eth0/10.1.0.0': 'PENDING' });
    expect(engine.dataplane.get('config/route/eth0/10.1.0.0')).toBeUndefined();
    // The dependent is removed before its dependency.
    const executed = engine.getRecordedTxn(removal.seqNum ?? 0n)?.executed.map((op) => [op.key, op.operation, op.newState]);
    expect(executed).toEqual([
      ['config/route/eth0/10.1.0.0', 'DELETE', 'PENDING'],
      ['config/interface/eth0', 'DELETE', 'REMOVED'],
    ]);
    expect(changes.map((c) => `${c.key}=${c.state}`)).toEqual([
      'config/route/eth0/10.1.0.0=PENDING',
      'config/interface/eth0=CONFIGURED',
      'config/route/eth0/10.1.0.0=CONFIGURED',
      'config/route/eth0/10.1.0.0=PENDING',
      'config/interface/eth0=REMOVED',
    ]);
  });

  it('refuses DOWNSTREAM with values and revert with a resync, without a sequence number', () => {
    engine = new SchedulerEngine();
    expect(engine.commit({ resync: 'downstream', values: [{ key: 'a', value: v('1') }] })).toEqual({
      initError: expect.stringContaining('DOWNSTREAM'),
      keyErrors: [],
    });
    expect(engine.commit({ resync: 'full', revertOnFailure: true, values: [] }).initError).toMatch(/revert/);
    expect(engine.commit({ values: [] }).seqNum).toBe(1n);
  });

  it('FULL deletes what is not in the transaction and fixes dataplane drift; UPSTREAM does not see drift', () => {
    engine = new SchedulerEngine();
    engine.commit({ values: [{ key: 'a', value: v('1') }, { key: 'b', value: v('2') }, { key: 'c', value: v('3') }] });
    engine.dataplane.drift({ removeKeys: ['a'], putValues: [{ key: 'x', value: v('extra') }] });

    engine.commit({ resync: 'upstream', values: [{ key: 'a', value: v('1') }, { key: 'b', value: v('2') }] });
    expect(engine.dataplane.get('a')).toBeUndefined();
    expect(engine.dataplane.get('x')).toBeDefined();
    expect(engine.dataplane.get('c')).toBeUndefined();

    engine.commit({ resync: 'full', values: [{ key: 'a', value: v('1') }, { key: 'b', value: v('22') }] });
    expect([...engine.dataplane.entries()].map(([k, val]) => [k, Buffer.from(val.value).toString()]).sort()).toEqual([
      ['a', '1'],
      ['b', '22'],
    ]);
    expect(stateMap(engine)).toEqual({ a: 'CONFIGURED', b: 'CONFIGURED' });
  });

  it('DOWNSTREAM re-applies the desired state to a drifted dataplane', () => {
    engine = new SchedulerEngine();
    engine.commit({ values: [{ key: 'a', value: v('1') }, { key: 'b', value: v('2') }] });
    engine.dataplane.drift({ removeKeys: ['a'], putValues: [{ key: 'b', value: v('changed') }, { key: 'x', value: v('x') }] });
    const result = engine.commit({ resync: 'downstream', values: [] });
    expect(result.keyErrors).toEqual([]);
    expect(Buffer.from(engine.dataplane.get('a')?.value ?? []).toString()).toBe('1');
    expect(Buffer.from(engine.dataplane.get('b')?.value ?? []).toString()).toBe('2');
    expect(engine.dataplane.get('x')).toBeUndefined();
    const ops = engine.getRecordedTxn(result.seqNum ?? 0n)?.executed.map((op) => `${op.operation} ${op.key}`);
    expect(ops?.sort()).toEqual(['CREATE a', 'DELETE x', 'UPDATE b']);
  });

  it('reverts in reverse order: previous values back, the failed value FAILED', () => {
    engine = new SchedulerEngine();
    engine.commit({ values: [{ key: 'a', value: v('a0') }] });
    engine.faults.add({ key: '^c$', times: 1 });
    const result = engine.commit({
      revertOnFailure: true,
      values: [{ key: 'a', value: v('a1') }, { key: 'b', value: v('b1') }, { key: 'c', value: v('c1') }, { key: 'd', value: v('d1') }],
    });
    expect(result.keyErrors).toEqual([{ key: 'c', operation: 'CREATE', error: expect.stringContaining('injected fault') }]);
    const ops = engine.getRecordedTxn(result.seqNum ?? 0n)?.executed.map((op) => `${op.isRevert ? 'revert ' : ''}${op.operation} ${op.key} -> ${op.newState}`);
    expect(ops).toEqual(['UPDATE a -> CONFIGURED', 'CREATE b -> CONFIGURED', 'CREATE c -> FAILED', 'revert DELETE b -> REMOVED', 'revert UPDATE a -> CONFIGURED']);
    expect(Buffer.from(engine.dataplane.get('a')?.value ?? []).toString()).toBe('a0');
    expect(engine.dataplane.get('b')).toBeUndefined();
    expect(engine.dataplane.get('d')).toBeUndefined();
    expect(stateMap(engine)).toEqual({ a: 'CONFIGURED', c: 'FAILED' });
  });

  it('keeps the most recent recorded transactions, 10,000 by default, the oldest going first', () => {
    expect(DEFAULT_MAX_RECORDED_TXNS).toBe(10_000);
    engine = new SchedulerEngine({ maxRecordedTxns: 3 });
    for (let i = 1; i <= 5; i++) engine.commit({ values: [{ key: 'a', value: v(String(i)) }] });
    expect(engine.recordedTxns().map((t) => t.seqNum)).toEqual([3n, 4n, 5n]);
    expect(engine.getRecordedTxn(2n)).toBeUndefined();
    expect(engine.getRecordedTxn(4n)?.values).toEqual([{ key: 'a', value: v('4') }]);
    expect(() => new SchedulerEngine({ maxRecordedTxns: 0 })).toThrow(RangeError);
  });
});

describe('DependencyRules', () => {
  it('expands the templates of every matching rule, once each, never the key itself', () => {
    const rules = new DependencyRules([
      { key: '^route/(?<iface>[^/]+)/', dependsOn: ['interface/$<iface>', 'vrf/0'] },
      { key: '^route/([^/]+)/', dependsOn: ['interface/$1', 'route/$1/x'] },
      { key: /^arp\//g, dependsOn: ['settings'] },
    ]);
    expect(rules.dependenciesOf('route/eth0/x')).toEqual(['interface/eth0', 'vrf/0']);
    expect(rules.dependenciesOf('arp/1')).toEqual(['settings']);
    // A global pattern is made non-global: a second look at the same key matches again.
    expect(rules.dependenciesOf('arp/1')).toEqual(['settings']);
    expect(rules.dependenciesOf('interface/eth0')).toEqual([]);
    expect(new DependencyRules().dependenciesOf('route/eth0/x')).toEqual([]);
  });

  it('expands a template as String.prototype.replace would with $1 and $<name>, any other $ left as it is', () => {
    // The reference: the replace-based expansion rules were first written with.
    const reference = (template: string, match: RegExpExecArray): string =>
      template.replace(/\$(\d+)|\$<([^>]+)>/g, (_whole, index: string | undefined, name: string | undefined) =>
        index !== undefined ? (match[Number(index)] ?? '') : ((name !== undefined ? match.groups?.[name] : undefined) ?? ''),
      );
    const piece = fc.constantFrom('$1', '$2', '$9', '$<a>', '$<b>', '$<zz>', '$$', '$', '$<', 'x', '/', '-');
    const template = fc.array(piece, { maxLength: 8 }).map((pieces) => pieces.join(''));
    const key = fc.tuple(fc.stringMatching(/^[a-z]{1,4}$/), fc.option(fc.stringMatching(/^[a-z0-9]{1,4}$/), { nil: undefined }));
    fc.assert(
      fc.property(template, key, (dependsOn, [first, second]) => {
        const pattern = '^k/(?<a>[a-z]+)(?:/(?<b>[a-z0-9]+))?';
        const subject = second === undefined ? `k/${first}` : `k/${first}/${second}`;
        const match = new RegExp(pattern).exec(subject) as RegExpExecArray;
        const expected = reference(dependsOn, match);
        const deps = new DependencyRules([{ key: pattern, dependsOn: [dependsOn] }]).dependenciesOf(subject);
        expect(deps).toEqual(expected === subject ? [] : [expected]);
      }),
    );
  });
});

describe('KeyStore', () => {
  it('indexes the dependents of every key it holds, one or many, and forgets them with their records', () => {
    const rules = new DependencyRules([{ key: '^arp/(\\w+)/', dependsOn: ['if/$1'] }]);
    const keys = ['arp/x/1', 'arp/x/2', 'arp/x/3', 'arp/y/1', 'if/x', 'if/y'];
    const operation = fc.tuple(fc.boolean(), fc.constantFrom(...keys));
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 40 }), (operations) => {
        const store = new KeyStore(rules);
        const held = new Set<string>();
        for (const [create, key] of operations) {
          if (create) {
            store.getOrCreate(key, 1n);
            held.add(key);
          } else {
            store.delete(key);
            held.delete(key);
          }
          for (const target of ['if/x', 'if/y', 'arp/x/1']) {
            const expected = [...held].filter((k) => rules.dependenciesOf(k).includes(target)).sort();
            expect([...store.dependentsOf(target)].sort()).toEqual(expected);
          }
        }
      }),
    );
  });
});
