import type { Page } from 'playwright-core';
import { DBResync } from '../../src/api/events';
import type { Event } from '../../src/api/event';
import type { EventHandler } from '../../src/api/handler';
import { launchChromium, type HeadlessChromium } from '../../scripts/dashboard/chromium';
import { gate, waitFor, type Gate } from '../support/waitFor';
import { activeDiagramStates, screenshotPath, startDashboardAgent, timelineRows, type DashboardAgent } from './dashboardAgent';

/** Holds a resync inside its handler while armed, so that the page can be looked at mid-resync. */
class HeldResync implements EventHandler {
  readonly name = 'held-resync';
  private held: Gate | undefined;

  hold(): Gate {
    this.held = gate();
    return this.held;
  }

  handlesEvent(event: Event): boolean {
    return event instanceof DBResync;
  }

  async resync(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    await held?.promise;
  }

  update(): void {}
  revert(): void {}
}

const LOOP = 'controller.running.loop';
const handler = new HeldResync();
let dashboard: DashboardAgent;
let browser: HeadlessChromium;
let page: Page;

beforeAll(async () => {
  dashboard = await startDashboardAgent({ handlers: [handler] });
  await waitFor(() => dashboard.agent.controller.health().ready, 'the startup resync');
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(dashboard.dashboardUrl);
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
});

function historyLength(): number {
  return dashboard.agent.controller.eventHistory().length;
}

test('the machine view draws every state of the machine and highlights the active ones', async () => {
  await page.getByRole('tab', { name: /Machine/ }).click();
  await page.waitForSelector(`svg.machine g.node[data-state-id="${LOOP}.idle"][data-active="true"]`);
  const drawn = await page.$$eval('svg.machine g.node', (nodes) => nodes.map((node) => node.getAttribute('data-state-id')));
  // The parallel regions and the top-level states are all there.
  for (const id of ['controller.running', `${LOOP}.resyncing`, 'controller.running.healing.outage.probing', 'controller.running.periodicHealing', 'controller.running.historyTrimming', 'controller.fatal', 'controller.stopped']) {
    expect(drawn).toContain(id);
  }
  expect(await activeDiagramStates(page)).toEqual(
    expect.arrayContaining(['controller.running', LOOP, `${LOOP}.idle`, 'controller.running.healing.clear', 'controller.running.historyTrimming.waiting']),
  );
  expect(await activeDiagramStates(page)).not.toContain(`${LOOP}.resyncing`);
  expect(await page.textContent('[data-testid="machine-state"]')).toBe('idle');
  expect(await page.textContent('[data-testid="healing-state"]')).toContain('clear');
  expect(await page.textContent('[data-testid="queue-main"]')).toBe('0');
  await page.screenshot({ path: screenshotPath('machine') });
});

test('the highlight moves to resyncing while a resync runs, and back to idle after it', async () => {
  const held = handler.hold();
  const before = historyLength();
  await page.getByRole('button', { name: 'Resync' }).click();
  await page.waitForSelector(`svg.machine g.node[data-state-id="${LOOP}.resyncing"][data-active="true"]`);
  expect(await activeDiagramStates(page)).not.toContain(`${LOOP}.idle`);
  expect(await page.textContent('[data-testid="current-event"]')).toContain('Database Resync');
  await page.screenshot({ path: screenshotPath('machine-resyncing') });

  held.open();
  await page.waitForSelector(`svg.machine g.node[data-state-id="${LOOP}.idle"][data-active="true"]`);
  await waitFor(() => historyLength() > before, 'the resync in the history');
  expect(await activeDiagramStates(page)).not.toContain(`${LOOP}.resyncing`);
  const changes = await page.$$eval('[data-testid="transitions"] li', (items) => items.map((item) => item.textContent ?? ''));
  // Newest first: back to idle after resyncing.
  expect(changes[0]).toContain('idle');
  expect(changes[1]).toContain('resyncing');
});

test('new events appear live in the timeline; scrolled up, it pauses and counts what waits', async () => {
  await page.setViewportSize({ width: 1280, height: 330 });
  await page.getByRole('tab', { name: /Timeline/ }).click();
  // Enough rows to scroll in a short window.
  for (let i = 0; i < 4; i++) {
    const count = historyLength();
    await page.getByRole('button', { name: 'Resync' }).click();
    await waitFor(() => historyLength() > count, 'a resync in the history');
  }
  const last = dashboard.agent.controller.eventHistory().at(-1)?.seqNum as number;
  await page.waitForSelector(`tr.row[data-seq="${last}"]`);
  expect((await timelineRows(page)).map((row) => row.name)).toEqual(dashboard.agent.controller.eventHistory().map((record) => record.name));

  await page.$eval('.timeline .table-scroll', (element) => element.scrollTo({ top: 0 }));
  await page.getByText(/Paused while you scroll/).waitFor();
  const count = historyLength();
  await page.request.post(`${dashboard.restUrl}/controller/resync`);
  await waitFor(() => historyLength() > count, 'the resync in the history');
  await page.getByText('Paused while you scroll: 1 new event').waitFor();
  expect(await page.$(`tr.row[data-seq="${last + 1}"]`)).toBeNull();
  await page.screenshot({ path: screenshotPath('timeline-paused') });

  await page.getByRole('button', { name: 'Show latest' }).click();
  await page.waitForSelector(`tr.row[data-seq="${last + 1}"]`);
  expect(await page.getByText(/Paused while you scroll/).count()).toBe(0);
  await page.setViewportSize({ width: 1280, height: 800 });
});
