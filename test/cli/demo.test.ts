import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/etcd';
import { CliProcess, runCli } from './cliProcess';

/** What the REST API (and --history-out) gives per event; bigints are strings. */
interface WireRecord {
  seqNum: number;
  name: string;
  description: string;
  isFollowUp: boolean;
  handlers: { handler: string; revert: boolean; error?: string }[];
  txnError?: string;
  txn?: { seqNum: string };
}

let dir: string;
let demo: CliProcess | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-demo-test-'));
});

afterEach(async () => {
  await demo?.stop();
  demo = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function readHistory(file: string): WireRecord[] {
  return JSON.parse(readFileSync(file, 'utf8')) as WireRecord[];
}

/** Every step of the scenario left its event in the history. */
function expectScenarioEvents(history: WireRecord[]): void {
  const names = history.map((r) => r.name);
  expect(names[0]).toBe('Database Resync');
  expect(history.filter((r) => r.name === 'Kubernetes State Change' && r.description.includes('k8s/pod/')).length).toBeGreaterThanOrEqual(4);
  expect(history.some((r) => r.description.includes('k8s/service/web/namespace/shop'))).toBe(true);
  expect(names).toContain('External Config Change');
  // The failing key: the southbound reported it, then a healing resync followed.
  const failed = history.find((r) => r.txnError?.includes('injected: TAP creation failed'));
  expect(failed).toBeDefined();
  expect(history.some((r) => r.name === 'Healing Resync' && r.seqNum > (failed?.seqNum ?? Infinity))).toBe(true);
  // The RevertOnFailure event that reverts.
  expect(history.some((r) => r.name === 'Pod MTU Change' && r.handlers.some((h) => h.revert))).toBe(true);
  // Committed events carry the southbound's transaction.
  expect(history.filter((r) => r.txn?.seqNum !== undefined).length).toBeGreaterThan(5);
}

test('demo --exit-after-scenario runs the whole scenario, exits 0, and its history shows every step, then Shutdown', async () => {
  const historyFile = join(dir, 'history.json');
  demo = new CliProcess(['demo', '--exit-after-scenario', '--rest-port', '0', '--history-out', historyFile]);
  const { code } = await demo.exited;
  expect({ code, stderr: demo.stderr }).toEqual({ code: 0, stderr: '' });
  expect(demo.stdout).toContain('scenario done');
  const history = readHistory(historyFile);
  expectScenarioEvents(history);
  expect(history[history.length - 1].name).toBe('Shutdown');
  // JSON logs by default: every log line parses.
  const logLines = demo.stdout.split('\n').filter((line) => line.startsWith('{'));
  expect(logLines.length).toBeGreaterThan(10);
  for (const line of logLines) expect(() => JSON.parse(line)).not.toThrow();
});

test('demo stays up after the scenario: history and resync work over REST, bad parameters get clear errors, SIGINT stops it with exit 0', async () => {
  const historyFile = join(dir, 'history.json');
  demo = new CliProcess(['demo', '--pretty', '--rest-port', '0', '--history-out', historyFile], { TZ: 'Asia/Kolkata' });
  await demo.waitForOutput(/Scenario done\. The agent keeps running/, 60_000);
  const url = (await demo.restUrl()).trim();
  // --pretty prints the original's banners, 100 columns wide when stdout is not a terminal, and
  // the other lines one per record with the local time and its offset.
  expect(demo.stdout).toMatch(/>{100}\n\*   NEW EVENT: Database Resync.*#0 \*\n/);
  expect(demo.stdout).toMatch(/<{100}\n\*   FINALIZED EVENT: .*\n\*   HANDLED BY: .*took \d+ms \*\n/);
  expect(demo.stdout).toMatch(/\*   REVERTED BY: pod-network +\*/);
  expect(demo.stdout).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \+0530\] INFO: \[dbwatcher\] /m);
  for (const line of demo.stdout.split('\n').filter((l) => /^[*<>]/.test(l))) expect(line).toHaveLength(100);

  const listed = await runCli(['history', '--url', url, '--json']);
  expect(listed.code).toBe(0);
  const all = JSON.parse(listed.stdout) as WireRecord[];
  expectScenarioEvents(all);
  // Small pages: the command follows the API's Link header to the end.
  const paged = await runCli(['history', '--url', url, '--json', '--page-size', '4']);
  expect((JSON.parse(paged.stdout) as WireRecord[]).map((r) => r.seqNum)).toEqual(all.map((r) => r.seqNum));

  const table = await runCli(['history', '--url', url, '--page-size', '5'], { TZ: 'Asia/Kolkata' });
  expect(table.code).toBe(0);
  const rows = table.stdout.trimEnd().split('\n');
  expect(rows).toHaveLength(all.length + 1);
  expect(rows[0]).toMatch(/^DATE +TIME +SEQ +EVENT +KEYS +DURATION +TXN +RESULT$/);
  expect(rows[1]).toMatch(/^\d{4}-\d\d-\d\d  \d\d:\d\d:\d\d\.\d{3}\+05:30 +#0  Database Resync +.* \d+ ms +#\d+ +ok$/);
  // The event's name once, then the key it is about.
  const pod = rows.find((row) => row.includes('Kubernetes State Change') && row.includes('k8s/pod/'));
  expect(pod?.match(/Kubernetes State Change/g)).toHaveLength(1);
  expect(rows.some((row) => /error: txn: .*injected: TAP creation failed/.test(row))).toBe(true);

  const last = await runCli(['history', '--url', url, '--last', '2']);
  expect(last.code).toBe(0);
  expect(last.stdout.trim().split('\n')).toHaveLength(3);

  const badNumber = await runCli(['history', '--url', url, '--seq-num', 'abc']);
  expect(badNumber.code).toBe(1);
  expect(badNumber.stderr).toMatch(/^history: GET \/controller\/event-history\?seq-num=abc&limit=1000: HTTP 400: .*seq-num/);
  const unknown = await runCli(['history', '--url', url, '--seq-num', '99999']);
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toMatch(/HTTP 404: .*99999/);
  const usage = await runCli(['history', '--url', url, '--bogus']);
  expect(usage.code).toBe(2);
  expect(usage.stderr).toMatch(/^history: unknown option '--bogus'/);

  const eventsBefore = (JSON.parse((await runCli(['history', '--url', url, '--json'])).stdout) as WireRecord[]).length;
  const resync = await runCli(['resync', '--url', url]);
  expect(resync).toMatchObject({ code: 0, stdout: 'resync requested\n' });
  // The requested resync is processed as a Database Resync after everything before it.
  const deadline = Date.now() + 30_000;
  let history: WireRecord[] = [];
  while (!history.slice(eventsBefore).some((r) => r.name === 'Database Resync')) {
    if (Date.now() > deadline) throw new Error('the requested resync never showed up in the history');
    await new Promise((resolve) => setTimeout(resolve, 50));
    history = JSON.parse((await runCli(['history', '--url', url, '--json'])).stdout) as WireRecord[];
  }

  demo.signal('SIGINT');
  const { code } = await demo.exited;
  expect(code).toBe(0);
  const final = readHistory(historyFile);
  expect(final[final.length - 1].name).toBe('Shutdown');
});

test('history and resync against nothing: a clear "cannot reach" error, exit 1', async () => {
  const port = await freePort(); // nothing listens there
  const result = await runCli(['history', '--url', `http://127.0.0.1:${port}`]);
  expect(result.code).toBe(1);
  expect(result.stderr).toBe(`history: cannot reach the agent at http://127.0.0.1:${port}: ECONNREFUSED\n`);
  const resync = await runCli(['resync', '--url', 'not a url']);
  expect(resync.code).toBe(2);
  expect(resync.stderr).toMatch(/--url must be http\(s\):\/\/host:port/);
});
