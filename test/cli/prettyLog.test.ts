import pino from 'pino';
import { createAgentLogger } from '../../src/agent/logging';
import { PrettyLogStream, wrap } from '../../src/agent/prettyLog';

/** The pretty renderer, fed by a real pino logger (the controller's own log lines' shape). */
function prettyLines(log: (logger: pino.Logger) => void): string {
  let text = '';
  log(createAgentLogger({ level: 'info', pretty: true, out: (chunk) => (text += chunk) }));
  return text;
}

test("NEW EVENT banner: the original's frame, the sequence number on the right, follow-ups and handlers", () => {
  const text = prettyLines((logger) =>
    logger.info({ seqNum: 7, event: 'Pod MTU Change', description: 'Pod MTU Change\n * mtu: 9216', handlers: ['pod-network', 'service-nat'], followUpTo: 3 }, 'new event'),
  );
  const lines = text.trimEnd().split('\n');
  expect(lines[0]).toBe('>'.repeat(130));
  expect(lines[1]).toMatch(/^\*   NEW EVENT \(follow-up to #3\): Pod MTU Change +#7 \*$/);
  // The original indents description lines by 14 after the star; the line keeps its own " * ".
  expect(lines[2]).toMatch(/^\* {15}\* mtu: 9216 +\*$/);
  expect(lines[3]).toMatch(/^\*   EVENT HANDLERS: pod-network, service-nat +\*$/);
  expect(lines[4]).toBe('>'.repeat(130));
  for (const line of lines) expect(line).toHaveLength(130);
});

test('FINALIZED EVENT banner: description from the NEW EVENT line, duration, errors with (REVERT), reverted handlers, txn error', () => {
  const text = prettyLines((logger) => {
    logger.info({ seqNum: 12, event: 'Pod MTU Change', description: 'Pod MTU Change\n * mtu: 9216', handlers: ['a', 'b'] }, 'new event');
    logger.error(
      { seqNum: 12, event: 'Pod MTU Change', durationMs: 4, handledBy: ['a', 'b'], revertedBy: ['a'], errors: { b: 'too big', 'a (revert)': 'undo failed' }, txnError: 'transaction failed: x (CREATE): boom' },
      'finalized event',
    );
  });
  const banner = text.trimEnd().split('\n').slice(5);
  expect(banner[0]).toBe('<'.repeat(130));
  expect(banner[1]).toMatch(/^\*   FINALIZED EVENT: Pod MTU Change +#12 \*$/);
  expect(banner[2]).toMatch(/^\*   HANDLED BY: a, b +took 4ms \*$/);
  expect(banner[3]).toMatch(/^\*   ERRORS: +\*$/);
  expect(banner[4]).toMatch(/^\*       \* b: too big +\*$/);
  expect(banner[5]).toMatch(/^\*       \* a \(REVERT\): undo failed +\*$/);
  expect(banner[6]).toMatch(/^\*   REVERTED BY: a +\*$/);
  expect(banner[7]).toMatch(/^\*   TRANSACTION ERROR: transaction failed: x \(CREATE\): boom +\*$/);
  expect(banner[8]).toBe('<'.repeat(130));
  for (const line of banner) expect(line).toHaveLength(130);
});

test('other lines: time, level, component, message, fields; non-JSON passes through', () => {
  const stream = new PrettyLogStream(() => undefined);
  expect(stream.render(JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 1, 12, 30, 5, 7), component: 'dbwatcher', msg: 'DB lost', store: 'etcd', err: { message: 'down' } }))).toBe(
    '12:30:05.007 WARN  [dbwatcher] DB lost store=etcd err=down',
  );
  expect(stream.render('not json')).toBe('not json');
});

test('long text wraps at spaces inside the frame, and a word longer than a row is cut', () => {
  expect(wrap('aaa bbb ccc', 7, 2)).toEqual(['aaa bbb', '  ccc']);
  expect(wrap('x'.repeat(10), 4)).toEqual(['xxxx', 'xxxx', 'xx']);
});

test('JSON mode: one pino JSON object per line', () => {
  let text = '';
  const logger = createAgentLogger({ level: 'info', pretty: false, out: (chunk) => (text += chunk) });
  logger.info({ seqNum: 1, event: 'Shutdown' }, 'new event');
  expect(JSON.parse(text)).toMatchObject({ level: 30, name: 'contivctl', msg: 'new event', seqNum: 1 });
});
