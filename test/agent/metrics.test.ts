import * as prom from 'prom-client';
import type { Subscription } from 'rxjs';
import {
  DBResync,
  EventMethodType,
  FatalError,
  InMemorySouthbound,
  UpdateTransactionType,
  type Controller,
  type EventHandler,
  type ProcessedEvent,
} from '../../src';
import { ControllerMetrics, DEFAULT_METRICS_PREFIX } from '../../src/agent/metrics';
import { names, recordingHandler, startController, TestResync, TestUpdate } from '../support/harness';
import { value } from '../support/messages';
import { gate, waitFor } from '../support/waitFor';
import { parseExposition, sampleValue, type Exposition } from './exposition';

const P = DEFAULT_METRICS_PREFIX;

describe('ControllerMetrics', () => {
  let controller: Controller | undefined;
  let metrics: ControllerMetrics | undefined;
  let observer: Subscription | undefined;
  const calls: string[] = [];

  afterEach(async () => {
    observer?.unsubscribe();
    metrics?.close();
    await controller?.close();
    controller = metrics = observer = undefined;
    calls.length = 0;
  });

  async function scrape(): Promise<Exposition> {
    return parseExposition(await (metrics as ControllerMetrics).registry.metrics());
  }

  async function waitForIdle(c: Controller, count: number): Promise<void> {
    await waitFor(() => c.eventHistory().length >= count && c.health().state === 'idle' && c.queueDepths().main === 0, `${count} events processed`);
  }

  test('counts handler timeouts per handler, and shows the southbound outage in southbound_available and ready', async () => {
    const southbound = new InMemorySouthbound();
    const handlers: EventHandler[] = [
      recordingHandler('hangs', calls, { update: (event) => (event.getName() === 'Hang' ? new Promise<void>(() => undefined) : undefined) }),
      recordingHandler('pods', calls, { update: (_e, txn) => txn.put('pods/p', value({ name: 'p' })) }),
    ];
    controller = await startController({ handlers, southbound, config: { handlerTimeout: 20, delayAfterErrorHealing: 3_600_000 } });
    metrics = new ControllerMetrics({ controller });
    controller.pushEvent(new DBResync({}));
    const hang = new TestUpdate('Hang');
    controller.pushEvent(hang);
    await expect(hang.wait()).rejects.toThrow('did not finish update() within 20 ms');
    await waitForIdle(controller, 2);
    let m = await scrape();
    expect(sampleValue(m, `${P}handler_timeouts_total`, { handler: 'hangs', operation: 'update' })).toBe(1);
    expect(sampleValue(m, `${P}handler_timeouts_total`, { handler: 'pods', operation: 'update' })).toBeUndefined();
    expect(sampleValue(m, `${P}southbound_available`)).toBe(1);

    southbound.setUnavailable(true);
    const cut = new TestUpdate('Cut');
    controller.pushEvent(cut);
    await expect(cut.wait()).rejects.toThrow('southbound unavailable');
    m = await scrape();
    expect(sampleValue(m, `${P}southbound_available`)).toBe(0);
    expect(sampleValue(m, `${P}ready`)).toBe(0);
    expect(sampleValue(m, `${P}fatal`)).toBe(0);
  });

  test('counts events by name and result, handler and txn errors, healing resyncs and resyncs by type', async () => {
    const southbound = new InMemorySouthbound();
    const handlers: EventHandler[] = [
      recordingHandler('ipam', calls, { update: (_e, txn) => txn.put('ipam/pool', value({ name: 'pool' })) }),
      recordingHandler('pods', calls, {
        update: (event, txn) => {
          if (event.getName() === 'HandlerFails' || event.getName() === 'Reverts') throw new Error(`${event.getName()}: pods broke`);
          if (event.getName() === 'TxnFails') txn.put('pods/bad', value({ name: 'bad' }));
        },
      }),
    ];
    controller = await startController({ handlers, southbound, config: { delayAfterErrorHealing: 20 } });
    metrics = new ControllerMetrics({ controller });
    // What the controller reported, seen by an independent subscriber, to check the timings' counts.
    const seen: ProcessedEvent[] = [];
    observer = controller.processed$.subscribe((p) => seen.push(p));
    const c = controller;
    const healings = (): number => names(c).filter((n) => n === 'Healing Resync').length;

    c.pushEvent(new DBResync({}));
    c.pushEvent(new TestUpdate('Good'));
    await waitForIdle(c, 2);

    const handlerFails = new TestUpdate('HandlerFails');
    c.pushEvent(handlerFails);
    await expect(handlerFails.wait()).rejects.toThrow('pods broke');
    await waitFor(() => healings() === 1 && c.health().state === 'idle', 'healing after the handler error');

    southbound.injectFailure({ keys: 'pods/bad', times: 1, error: 'dataplane said no' });
    const txnFails = new TestUpdate('TxnFails');
    c.pushEvent(txnFails);
    await expect(txnFails.wait()).rejects.toThrow('dataplane said no');
    await waitFor(() => healings() === 2 && c.health().state === 'idle', 'healing after the txn error');

    const reverts = new TestUpdate('Reverts', UpdateTransactionType.RevertOnFailure);
    c.pushEvent(reverts);
    await expect(reverts.wait()).rejects.toThrow('pods broke');
    const downstream = new TestResync(EventMethodType.DownstreamResync, 'Downstream');
    const upstream = new TestResync(EventMethodType.UpstreamResync, 'Upstream');
    c.pushEvent(downstream);
    c.pushEvent(upstream);
    await upstream.wait();
    await waitForIdle(c, 9);
    expect(names(c)).toEqual(['Database Resync', 'Good', 'HandlerFails', 'Healing Resync', 'TxnFails', 'Healing Resync', 'Reverts', 'Downstream', 'Upstream']);

    const m = await scrape();
    const processed = (event: string, result: string) => sampleValue(m, `${P}events_processed_total`, { event, result });
    expect(processed('db_resync', 'ok')).toBe(1);
    expect(processed('good', 'ok')).toBe(1);
    expect(processed('handler_fails', 'error')).toBe(1);
    expect(processed('txn_fails', 'error')).toBe(1);
    expect(processed('reverts', 'error')).toBe(1);
    expect(processed('healing_resync', 'ok')).toBe(2);
    expect(processed('good', 'error')).toBeUndefined();
    expect(m.samples.filter((s) => s.name === `${P}events_processed_total`).reduce((sum, s) => sum + s.value, 0)).toBe(9);

    expect(sampleValue(m, `${P}handler_errors_total`, { handler: 'pods', operation: 'update' })).toBe(2);
    expect(sampleValue(m, `${P}handler_errors_total`, { handler: 'ipam' })).toBeUndefined();
    expect(sampleValue(m, `${P}txn_errors_total`, { event: 'txn_fails' })).toBe(1);
    expect(sampleValue(m, `${P}healing_resyncs_total`, { type: 'after_error', cause: 'failure' })).toBe(2);
    expect(sampleValue(m, `${P}healing_resyncs_total`, { type: 'periodic' })).toBeUndefined();
    // Full: the DB resync and both healings; downstream and upstream: one each.
    expect(sampleValue(m, `${P}resyncs_total`, { type: 'full' })).toBe(3);
    expect(sampleValue(m, `${P}resyncs_total`, { type: 'downstream' })).toBe(1);
    expect(sampleValue(m, `${P}resyncs_total`, { type: 'upstream' })).toBe(1);

    // Timings: one observation per event, per handler call, per commit, as processed$ reported them.
    expect(sampleValue(m, `${P}event_processing_seconds_count`, { event: 'healing_resync' })).toBe(2);
    expect(sampleValue(m, `${P}event_processing_seconds_count`, { event: 'good' })).toBe(1);
    const handlerCalls = (handler: string, operation: string): number =>
      c
        .eventHistory()
        .flatMap((r) => r.handlers.map((h) => ({ ...h, method: r.method })))
        .filter((h) => h.handler === handler && (h.revert ? 'revert' : h.method === EventMethodType.Update ? 'update' : 'resync') === operation).length;
    for (const handler of ['ipam', 'pods']) {
      for (const operation of ['update', 'resync', 'revert']) {
        const calls = handlerCalls(handler, operation);
        expect([handler, operation, sampleValue(m, `${P}handler_seconds_count`, { handler, operation }) ?? 0]).toEqual([handler, operation, calls]);
      }
    }
    expect(handlerCalls('ipam', 'revert')).toBe(1);
    const commits = (method: EventMethodType): number => seen.filter((p) => p.record.method === method && p.commitDurationMs !== undefined).length;
    expect(commits(EventMethodType.Update)).toBeGreaterThan(0);
    expect(sampleValue(m, `${P}txn_commit_seconds_count`, { type: 'update' })).toBe(commits(EventMethodType.Update));
    expect(sampleValue(m, `${P}txn_commit_seconds_count`, { type: 'full' })).toBe(commits(EventMethodType.FullResync));
    const bucket = m.samples.find((s) => s.name === `${P}event_processing_seconds_bucket` && s.labels.event === 'good' && s.labels.le === '+Inf');
    expect(bucket?.value).toBe(1);

    expect(sampleValue(m, `${P}fatal`)).toBe(0);
    expect(sampleValue(m, `${P}ready`)).toBe(1);
    expect(sampleValue(m, `${P}state`, { state: 'idle' })).toBe(1);
  });

  test('queue depths, delayed events, state and readiness are read at scrape time', async () => {
    const blocker = gate();
    const c = await startController({
      handlers: [
        recordingHandler('h', calls, {
          update: async (event) => {
            if (event.getName() !== 'Blocker') return;
            c.pushEvent(new TestUpdate('FollowUp1'));
            c.pushEvent(new TestUpdate('FollowUp2'));
            await blocker.promise;
          },
        }),
      ],
      southbound: new InMemorySouthbound(),
    });
    controller = c;
    metrics = new ControllerMetrics({ controller: c });

    c.pushEvent(new TestUpdate('Early1'));
    c.pushEvent(new TestUpdate('Early2'));
    let m = await scrape();
    expect(sampleValue(m, `${P}queue_depth`, { queue: 'delayed' })).toBe(2);
    expect(sampleValue(m, `${P}ready`)).toBe(0);
    expect(sampleValue(m, `${P}state`, { state: 'awaitingStartupResync' })).toBe(1);
    expect(sampleValue(m, `${P}state`, { state: 'idle' })).toBe(0);
    expect(m.samples.filter((s) => s.name === `${P}state`).reduce((sum, s) => sum + s.value, 0)).toBe(1);

    c.pushEvent(new DBResync({}));
    await waitForIdle(c, 3);
    c.pushEvent(new TestUpdate('Blocker'));
    await waitFor(() => c.queueDepths().followUp === 2, 'the blocker pushed its follow-ups');
    for (const n of [1, 2, 3]) c.pushEvent(new TestUpdate(`Queued${n}`));
    m = await scrape();
    expect(sampleValue(m, `${P}queue_depth`, { queue: 'delayed' })).toBe(0);
    expect(sampleValue(m, `${P}queue_depth`, { queue: 'main' })).toBe(3);
    expect(sampleValue(m, `${P}queue_depth`, { queue: 'follow_up' })).toBe(2);
    expect(sampleValue(m, `${P}state`, { state: 'updating' })).toBe(1);
    expect(sampleValue(m, `${P}ready`)).toBe(1);

    blocker.open();
    await waitForIdle(c, 9);
    m = await scrape();
    expect(sampleValue(m, `${P}queue_depth`, { queue: 'main' })).toBe(0);
    expect(sampleValue(m, `${P}queue_depth`, { queue: 'follow_up' })).toBe(0);
    expect(sampleValue(m, `${P}events_processed_total`, { event: 'follow_up1', result: 'ok' })).toBe(1);
  });

  test('the fatal gauge turns 1 and the state gauge says fatal once a handler fails fatally', async () => {
    const c = await startController({
      handlers: [
        recordingHandler('h', calls, {
          update: () => {
            throw new FatalError(new Error('dataplane gone'));
          },
        }),
      ],
      southbound: new InMemorySouthbound(),
    });
    controller = c;
    metrics = new ControllerMetrics({ controller: c });
    c.pushEvent(new DBResync({}));
    await waitForIdle(c, 1);
    expect(sampleValue(await scrape(), `${P}fatal`)).toBe(0);
    c.pushEvent(new TestUpdate('Breaks'));
    await waitFor(() => c.health().state === 'fatal', 'fatal');
    const m = await scrape();
    expect(sampleValue(m, `${P}fatal`)).toBe(1);
    expect(sampleValue(m, `${P}ready`)).toBe(0);
    expect(sampleValue(m, `${P}state`, { state: 'fatal' })).toBe(1);
    expect(sampleValue(m, `${P}state`, { state: 'idle' })).toBe(0);
  });

  test('uses the given registry and prefix, documents every metric, and stops counting once closed', async () => {
    const registry = new prom.Registry();
    const c = await startController({ handlers: [recordingHandler('h', calls)], southbound: new InMemorySouthbound() });
    controller = c;
    metrics = new ControllerMetrics({ controller: c, registry, prefix: 'node_agent_' });
    expect(metrics.registry).toBe(registry);
    c.pushEvent(new DBResync({}));
    await waitForIdle(c, 1);

    const m = parseExposition(await registry.metrics());
    const families = [...m.types.keys()].sort();
    expect(families).toEqual(
      [
        'event_processing_seconds',
        'events_processed_total',
        'fatal',
        'handler_calls_total',
        'handler_errors_total',
        'handler_seconds',
        'handler_timeouts_total',
        'healing_resyncs_total',
        'longest_running_event_seconds',
        'queue_adds_total',
        'queue_depth',
        'queue_refused_total',
        'queue_wait_seconds',
        'ready',
        'resyncs_total',
        'southbound_available',
        'state',
        'txn_commit_seconds',
        'txn_errors_total',
      ].map((name) => `node_agent_${name}`),
    );
    for (const family of families) expect(m.help.get(family)).toMatch(/\w{3,}/);
    expect(m.types.get('node_agent_event_processing_seconds')).toBe('histogram');
    expect(m.types.get('node_agent_events_processed_total')).toBe('counter');
    expect(m.types.get('node_agent_queue_depth')).toBe('gauge');
    expect(sampleValue(m, 'node_agent_events_processed_total', { event: 'db_resync', result: 'ok' })).toBe(1);

    metrics.close();
    const later = new TestUpdate('AfterClose');
    c.pushEvent(later);
    await later.wait();
    const after = parseExposition(await registry.metrics());
    expect(sampleValue(after, 'node_agent_events_processed_total', { event: 'after_close', result: 'ok' })).toBeUndefined();
    expect(sampleValue(after, 'node_agent_events_processed_total', { event: 'db_resync', result: 'ok' })).toBe(1);
  });
});
