/**
 * Takes the README's dashboard screenshot (docs/dashboard.png): runs `contivctl demo` from the
 * build, waits for its scenario, opens the dashboard in headless Chromium at 1280x800, opens the
 * drill-down of the event the southbound failed, and saves the page.
 *
 * Run: `npm run dashboard:screenshot` (needs Debian's chromium; scripts/install-test-deps.sh).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../src/packageRoot';
import { launchChromium } from './dashboard/chromium';

const OUTPUT = join(packageRoot(), 'docs', 'dashboard.png');

function waitForLine(output: { text: string }, pattern: RegExp, limitMs: number, exited: () => boolean): Promise<RegExpMatchArray> {
  const deadline = Date.now() + limitMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      const match = output.text.match(pattern);
      if (match) return resolve(match);
      if (exited() || Date.now() > deadline) return reject(new Error(`the demo printed no ${pattern}:\n${output.text.slice(-3000)}`));
      setTimeout(poll, 50);
    };
    poll();
  });
}

async function main(): Promise<void> {
  const demo = spawn(process.execPath, [join(packageRoot(), 'dist', 'src', 'cli', 'main.js'), 'demo', '--rest-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let exited = false;
  const ended = new Promise<void>((resolve) => demo.once('close', () => resolve()));
  void ended.then(() => (exited = true));
  const output = { text: '' };
  demo.stdout.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
  demo.stderr.setEncoding('utf8').on('data', (chunk: string) => (output.text += chunk));
  const browser = await launchChromium({ width: 1280, height: 800 });
  try {
    const url = (await waitForLine(output, /dashboard: +(http:\/\/\S+\/dashboard\/)/, 60_000, () => exited))[1];
    await waitForLine(output, /Scenario done/, 120_000, () => exited);
    const page = await browser.context.newPage();
    await page.goto(url);
    const failed = page.locator('tr.row[data-result="error"]').first();
    await failed.waitFor();
    await failed.click();
    await page.locator('aside.detail table.operations').waitFor();
    await page.screenshot({ path: OUTPUT });
    console.log(`wrote ${OUTPUT}`);
  } finally {
    await browser.close();
    if (!exited) demo.kill('SIGINT');
    await ended;
  }
}

main().catch((error: unknown) => {
  console.error('dashboard-screenshot failed:', error);
  process.exit(1);
});
