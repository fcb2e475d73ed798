import pino from 'pino';
import { wrap } from '../../src/agent/eventBanners';
import { LOG_LIMITS } from '../../src/agent/logBounds';
import { createAgentLogger } from '../../src/agent/logging';
import { PrettyLogStream } from '../../src/agent/prettyLog';

/** The pretty renderer, fed by a real pino logger (the controller's own log lines' shape). */
function prettyLines(log: (logger: pino.Logger) => void, width = 100): string[] {
  let text = '';
  log(createAgentLogger({ level: 'info', pretty: true, width, colour: false, out: (chunk) => (text += chunk) }));
  return text.trimEnd().split('\n');
}

test("NEW EVENT banner: the original's frame as wide as the terminal, the sequence number on the right, follow-ups and handlers", () => {
  for (const width of [80, 100, 140]) {
    const lines = prettyLines(
      (logger) => logger.info({ seqNum: 7, event: 'Pod MTU Change', description: 'Pod MTU Change\n * mtu: 9216', handlers: ['pod-network', 'service-nat'], followUpTo: 3 }, 'new event'),
      width,
    );
    expect(lines[0]).toBe('>'.repeat(width));
    expect(lines[1]).toMatch(/^\*   NEW EVENT \(follow-up to #3\): Pod MTU Change +#7 \*$/);
    // The original indents description lines by 14 after the star; the line keeps its own " * ".
    expect(lines[2]).toMatch(/^\* {15}\* mtu: 9216 +\*$/);
    expect(lines[3]).toMatch(/^\*   EVENT HANDLERS: pod-network, service-nat +\*$/);
    expect(lines[4]).toBe('>'.repeat(width));
    for (const line of lines) expect(line).toHaveLength(width);
  }
});

test('FINALIZED EVENT banner: description from the NEW EVENT line, duration, errors with (REVERT), reverted handlers, txn error', () => {
  const banner = prettyLines((logger) => {
    logger.info({ seqNum: 12, event: 'Pod MTU Change', description: 'Pod MTU Change\n * mtu: 9216', handlers: ['a', 'b'] }, 'new event');
    logger.error(
      { seqNum: 12, event: 'Pod MTU Change', durationMs: 4, handledBy: ['a', 'b'], revertedBy: ['a'], errors: { b: 'too big', 'a (revert)': 'undo failed' }, txnError: 'transaction failed: x (CREATE): boom' },
      'finalized event',
    );
  }).slice(5);
  expect(banner[0]).toBe('<'.repeat(100));
  expect(banner[1]).toMatch(/^\*   FINALIZED EVENT: Pod MTU Change +#12 \*$/);
  expect(banner[2]).toMatch(/^\*   HANDLED BY: a, b +took 4ms \*$/);
  expect(banner[3]).toMatch(/^\*   ERRORS: +\*$/);
  expect(banner[4]).toMatch(/^\*       \* b: too big +\*$/);
  expect(banner[5]).toMatch(/^\*       \* a \(REVERT\): undo failed +\*$/);
  expect(banner[6]).toMatch(/^\*   REVERTED BY: a +\*$/);
  expect(banner[7]).toMatch(/^\*   TRANSACTION ERROR: transaction failed: x \(CREATE\): boom +\*$/);
  expect(banner[8]).toBe('<'.repeat(100));
  for (const line of banner) expect(line).toHaveLength(100);
});

test('a 5,000-pod resync: a banner of a few rows naming the first pods and how many more, never cut mid-frame', () => {
  const pods = Array.from({ length: 5000 }, (_, i) => `default/pod-${i}`);
  const description = `Database Resync\n * 5000 x pod: [${pods.join(', ')}]\n * 1 x namespace: [default]`;
  const lines = prettyLines((logger) => logger.child({ component: 'controller' }).info({ seqNum: 0, event: 'Database Resync', description, handlers: ['ipam'] }, 'new event'), 90);
  expect(lines.length).toBeLessThan(12);
  const text = lines.join('\n');
  expect(text).toContain('default/pod-0, default/pod-1,');
  expect(text).toContain(`(+${5000 - LOG_LIMITS.listItems})]`);
  expect(text).not.toContain('default/pod-4999');
  for (const line of lines) expect(line).toHaveLength(90);
});

test('a value without spaces (JSON) wraps after its commas inside the frame', () => {
  const value = JSON.stringify(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`field${i}`, `value-${i}`])));
  const lines = prettyLines((logger) => logger.info({ seqNum: 3, event: 'Kubernetes State Change', description: `Kubernetes State Change\n * newValue: ${value}` }, 'new event'), 80);
  for (const line of lines) expect(line).toHaveLength(80);
  expect(lines.some((line) => /"field0":"value-0",/.test(line))).toBe(true);
  expect(wrap('aaa bbb ccc', 7, 2)).toEqual(['aaa bbb', '  ccc']);
  expect(wrap('x'.repeat(10), 4)).toEqual(['xxxx', 'xxxx', 'xx']);
});

test('other lines: one line each, local time with its UTC offset, level, [component], message, fields; errors as one phrase', () => {
  const stream = new PrettyLogStream({ out: () => undefined, colour: false });
  const time = Date.UTC(2026, 0, 1, 12, 30, 5, 7);
  const line = stream.render(
    JSON.stringify({ level: 40, time, name: 'contivctl', component: 'dbwatcher', msg: 'DB lost', store: 'etcd', err: { type: 'StoreUnavailableError', message: 'down', causes: [{ type: 'Error', message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' }] } }),
  );
  // The process's own time zone (the CLI test of the pretty agent sets TZ).
  const local = new Date(time);
  const offset = -local.getTimezoneOffset();
  const zone = `${offset >= 0 ? '+' : '-'}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}${String(Math.abs(offset) % 60).padStart(2, '0')}`;
  const hhmm = `${String(local.getHours()).padStart(2, '0')}:${String(local.getMinutes()).padStart(2, '0')}`;
  expect(line).toBe(`[2026-01-01 ${hhmm}:05.007 ${zone}] WARN: [dbwatcher] DB lost {"store":"etcd","err":"StoreUnavailableError: down <- connect ECONNREFUSED (ECONNREFUSED)"}`);
  expect(stream.render('not json')).toBe('not json');
});

test('colour on a terminal: ANSI codes in the banner frame and the level; none without', () => {
  const coloured = prettyLines((logger) => logger.info({ seqNum: 1, event: 'Shutdown', description: 'Shutdown' }, 'new event'), 60);
  expect(coloured.join('\n')).not.toContain('\u001b[');
  let text = '';
  const logger = createAgentLogger({ level: 'info', pretty: true, width: 60, colour: true, out: (chunk) => (text += chunk) });
  logger.info({ seqNum: 1, event: 'Shutdown', description: 'Shutdown' }, 'new event');
  logger.warn('careful');
  expect(text).toContain(`\u001b[36m${'>'.repeat(60)}\u001b[39m`);
  expect(text).toMatch(/\u001b\[33mWARN\u001b\[39m/);
});

test('JSON mode: one pino JSON object per line', () => {
  let text = '';
  const logger = createAgentLogger({ level: 'info', pretty: false, out: (chunk) => (text += chunk) });
  logger.info({ seqNum: 1, event: 'Shutdown' }, 'new event');
  expect(JSON.parse(text)).toMatchObject({ level: 30, name: 'contivctl', msg: 'new event', seqNum: 1 });
});
