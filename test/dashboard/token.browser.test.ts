import type { Page } from 'playwright-core';
import { DBResync } from '../../src/api/events';
import type { Event } from '../../src/api/event';
import type { EventHandler } from '../../src/api/handler';
import { launchChromium, type HeadlessChromium } from '../../scripts/dashboard/chromium';
import { waitFor } from '../support/waitFor';
import { screenshotPath, startDashboardAgent, timelineRows, type DashboardAgent } from './dashboardAgent';

const TOKEN = 'dashboard-test-token-9f2c41';

const resyncOnly: EventHandler = {
  name: 'resync-only',
  handlesEvent: (event: Event) => event instanceof DBResync,
  resync() {},
  update() {},
  revert() {},
};

let dashboard: DashboardAgent;
let browser: HeadlessChromium;
/** Every URL any page of the browser asked for. */
const requested: string[] = [];

beforeAll(async () => {
  dashboard = await startDashboardAgent({ handlers: [resyncOnly], token: TOKEN });
  await waitFor(() => dashboard.agent.controller.health().ready, 'the startup resync');
  browser = await launchChromium();
  browser.context.on('request', (request) => requested.push(request.url()));
});

afterAll(async () => {
  await browser?.close();
  await dashboard?.close();
});

async function openPage(): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(dashboard.dashboardUrl);
  return page;
}

test("with a token set, the dashboard's data is refused without it or with a wrong one", async () => {
  for (const path of ['/dashboard/api/stream', '/dashboard/api/events/0', '/dashboard/api/events?from=0']) {
    const none = await fetch(`${dashboard.restUrl}${path}`);
    expect({ path, status: none.status }).toEqual({ path, status: 401 });
    const wrong = await fetch(`${dashboard.restUrl}${path}`, { headers: { authorization: 'Bearer not-the-token' } });
    expect({ path, status: wrong.status }).toEqual({ path, status: 401 });
  }
  const right = await fetch(`${dashboard.restUrl}/dashboard/api/events/0`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(right.status).toBe(200);
  expect(((await right.json()) as { summary: { name: string } }).summary.name).toBe('Database Resync');
});

test('the page without the token shows no data and asks for it; a wrong token is refused', async () => {
  const page = await openPage();
  await page.locator('#token-input').waitFor();
  expect(await page.$('tr.row')).toBeNull();
  expect(await page.$('.tabs')).toBeNull();
  await page.screenshot({ path: screenshotPath('token-required') });

  await page.fill('#token-input', 'not-the-token');
  await page.keyboard.press('Enter');
  await page.getByRole('alert').filter({ hasText: 'The agent refused that token' }).waitFor();
  expect(await page.$('tr.row')).toBeNull();
  await page.close();
});

test('with the token the page works, asks for it only once per tab, and the token never appears in a URL or a log line', async () => {
  const page = await openPage();
  await page.fill('#token-input', TOKEN);
  await page.getByRole('button', { name: 'Open the dashboard' }).click();
  await page.waitForSelector('tr.row[data-seq="0"]');
  expect((await timelineRows(page))[0].name).toBe('Database Resync');

  // The page's own resync button sends the token with the POST.
  const count = dashboard.agent.controller.eventHistory().length;
  await page.getByRole('button', { name: 'Resync' }).click();
  await page.getByText('resync requested').waitFor();
  await waitFor(() => dashboard.agent.controller.eventHistory().length > count, 'the resync');
  await page.waitForSelector(`tr.row[data-seq="${count}"]`);

  await page.reload();
  await page.waitForSelector('tr.row[data-seq="0"]');
  expect(await page.$('#token-input')).toBeNull();

  expect(requested.length).toBeGreaterThan(0);
  expect(requested.filter((url) => url.includes(TOKEN))).toEqual([]);
  expect(page.url()).not.toContain(TOKEN);
  expect(dashboard.logLines.length).toBeGreaterThan(0);
  expect(dashboard.logLines.filter((line) => line.includes(TOKEN))).toEqual([]);

  await page.getByRole('button', { name: 'Forget token' }).click();
  await page.locator('#token-input').waitFor();
  await page.close();
});
