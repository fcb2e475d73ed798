import type { Page } from 'playwright-core';
import { launchChromium, type HeadlessChromium } from '../../scripts/dashboard/chromium';
import { CliProcess } from '../cli/cliProcess';
import { screenshotPath, timelineRows } from './dashboardAgent';

/** A history record as REST gives it. */
interface WireRecord {
  seqNum: number;
  name: string;
  isFollowUp: boolean;
  handlers: { handler: string; revert: boolean; error?: string; change?: string }[];
  txnError?: string;
}

/** The result the timeline must show, worked out here from the record itself. */
function expectedResult(record: WireRecord): string {
  if (record.handlers.some((call) => call.revert)) return 'reverted';
  if (record.txnError !== undefined || record.handlers.some((call) => call.error !== undefined)) return 'error';
  return 'ok';
}

let demo: CliProcess;
let browser: HeadlessChromium;
let page: Page;
let dashboardUrl: string;
let history: WireRecord[];

beforeAll(async () => {
  demo = new CliProcess(['demo', '--rest-port', '0']);
  dashboardUrl = (await demo.waitForOutput(/dashboard: +(http:\/\/\S+\/dashboard\/)/, 60_000))[1];
  browser = await launchChromium();
  page = await browser.context.newPage();
  // Opened while the scenario runs: its events arrive through the stream.
  await page.goto(dashboardUrl);
  await demo.waitForOutput(/Scenario done\. The agent keeps running/, 90_000);
  const response = await fetch(new URL('/controller/event-history', dashboardUrl));
  history = (await response.json()) as WireRecord[];
  await page.waitForSelector(`tr.row[data-seq="${history[history.length - 1].seqNum}"]`);
}, 150_000);

afterAll(async () => {
  await browser?.close();
  demo?.signal('SIGINT');
  await demo?.exited;
});

test('contivctl demo prints the dashboard URL and serves the page there', async () => {
  expect(dashboardUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dashboard\/$/);
  expect(await page.title()).toBe('contiv controller dashboard');
});

test("the scenario's events appear in the timeline in order, each with its result", async () => {
  const rows = await timelineRows(page);
  expect(rows.map((row) => [row.seq, row.name, row.result])).toEqual(history.map((record) => [record.seqNum, record.name, expectedResult(record)]));
  // The scenario's telling steps: the failing TAP, its healing resync, the refused MTU change.
  expect(rows.filter((row) => row.result === 'error').length).toBeGreaterThanOrEqual(1);
  expect(rows.some((row) => row.name === 'Healing Resync' && row.tags.includes('healing'))).toBe(true);
  expect(rows.filter((row) => row.result === 'reverted').map((row) => row.name)).toEqual(['Pod MTU Change']);
  await page.screenshot({ path: screenshotPath('timeline') });
});

test('the filters select by event name and by result', async () => {
  await page.selectOption('#filter-result', 'reverted');
  expect((await timelineRows(page)).map((row) => row.name)).toEqual(['Pod MTU Change']);
  await page.selectOption('#filter-result', 'healing');
  expect((await timelineRows(page)).every((row) => row.name === 'Healing Resync')).toBe(true);
  await page.selectOption('#filter-result', '');
  await page.selectOption('#filter-name', 'Pod MTU Change');
  expect((await timelineRows(page)).map((row) => row.result)).toEqual(['ok', 'reverted']);
  await page.selectOption('#filter-name', '');
  expect((await timelineRows(page)).length).toBe(history.length);
});

test('the drill-down of the reverted event, opened with the keyboard, shows its handlers in order, the failing one and the revert', async () => {
  const reverted = history.find((record) => expectedResult(record) === 'reverted') as WireRecord;
  await page.focus(`tr.row[data-seq="${reverted.seqNum}"]`);
  await page.keyboard.press('Enter');
  const detail = page.locator(`aside.detail[data-seq="${reverted.seqNum}"]`);
  await detail.locator('ol.handlers').waitFor();
  const calls = await detail.locator('ol.handlers li').evaluateAll((items) =>
    items.map((item) => ({ handler: item.getAttribute('data-handler'), revert: item.getAttribute('data-revert'), text: item.textContent ?? '' })),
  );
  expect(calls.map((call) => [call.handler, call.revert])).toEqual(reverted.handlers.map((call) => [call.handler, String(call.revert)]));
  const failing = reverted.handlers.find((call) => call.error !== undefined) as WireRecord['handlers'][number];
  expect(calls.find((call) => call.handler === failing.handler && call.revert === 'false')?.text).toContain(`failed: ${failing.error}`);
  expect(calls.filter((call) => call.revert === 'true').length).toBeGreaterThan(0);
  expect(await detail.textContent()).toContain('Nothing was committed to the southbound');
  await page.screenshot({ path: screenshotPath('event-detail-reverted') });
  await page.keyboard.press('Escape');
  await detail.waitFor({ state: 'detached' });
});

test("the drill-down of the failed event shows the southbound transaction's operations and the error", async () => {
  const failed = history.find((record) => record.txnError !== undefined) as WireRecord;
  await page.click(`tr.row[data-seq="${failed.seqNum}"]`);
  const detail = page.locator(`aside.detail[data-seq="${failed.seqNum}"]`);
  await detail.locator('table.operations').waitFor();
  expect(await detail.locator('.txn-error').textContent()).toContain('injected: TAP creation failed');
  const failedOps = await detail.locator('table.operations tr.failed').allTextContents();
  expect(failedOps.some((text) => text.includes('interfaces/tap-default-client-2') && text.includes('injected: TAP creation failed'))).toBe(true);
  await page.screenshot({ path: screenshotPath('event-detail-failed') });
  await detail.locator('button.close').click();
});

test("the values view counts the southbound's value states and finds one by key", async () => {
  await page.getByRole('tab', { name: /Southbound values/ }).click();
  await page.waitForSelector('button.count-chip[data-state="CONFIGURED"]');
  const configured = Number(await page.locator('button.count-chip[data-state="CONFIGURED"] strong').textContent());
  expect(configured).toBeGreaterThan(5);
  expect(Number(await page.textContent('[data-testid="values-total"]'))).toBeGreaterThanOrEqual(configured);
  await page.fill('#value-search', 'interfaces/tap-default-client-2');
  const rows = await page.$$eval('table.values tbody tr', (items) => items.map((item) => [item.getAttribute('data-key'), item.getAttribute('data-state')]));
  // The TAP the southbound failed once: retried and configured since.
  expect(rows).toEqual([['config/vpp/v2/interfaces/tap-default-client-2', 'CONFIGURED']]);
  await page.fill('#value-search', '');
  await page.screenshot({ path: screenshotPath('values') });
  expect(await page.textContent('.connections')).toMatch(/DB connected.*southbound watching/s);
});

test('every view is readable in a narrow window: nothing overflows the page sideways', async () => {
  await page.setViewportSize({ width: 480, height: 800 });
  for (const tab of ['Timeline', 'Machine', 'Southbound values']) {
    await page.getByRole('tab', { name: new RegExp(tab) }).click();
    const overflow = await page.$eval('html', (html) => html.scrollWidth - html.clientWidth);
    expect({ tab, overflow }).toEqual({ tab, overflow: 0 });
    await page.screenshot({ path: screenshotPath(`narrow-${tab.split(' ')[0].toLowerCase()}`) });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
});
