import pino from 'pino';
import { boundError, boundLogLine, boundText, LOG_LIMITS } from '../../src/agent/logBounds';
import { createAgentLogger } from '../../src/agent/logging';
import { controllerLogger } from '../../src/loop/eventLog';

function jsonLines(log: (logger: pino.Logger) => void): Record<string, unknown>[] {
  let text = '';
  log(createAgentLogger({ level: 'info', pretty: false, out: (chunk) => (text += chunk) }));
  return text
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

test("a 5,000-pod resync's 'new event' line through the controller's own logger stays a few hundred bytes, naming the first pods and the count", () => {
  const pods = Array.from({ length: 5000 }, (_, i) => `default/p${i}`);
  let text = '';
  const agentLogger = createAgentLogger({ level: 'info', pretty: false, out: (chunk) => (text += chunk) });
  controllerLogger(agentLogger).info({ seqNum: 0, event: 'Database Resync', description: `Database Resync\n * 5000 x pod: [${pods.join(', ')}]` }, 'new event');
  expect(text.length).toBeLessThan(1000);
  const line = JSON.parse(text) as { description: string; component: string };
  expect(line.component).toBe('controller');
  expect(line.description).toBe(`Database Resync\n * 5000 x pod: [${pods.slice(0, LOG_LIMITS.listItems).join(', ')}, … (+4980)]`);
});

test('long texts, arrays and wide objects are cut at the documented sizes, saying how much was left out', () => {
  expect(boundText('x'.repeat(LOG_LIMITS.textChars + 5))).toBe(`${'x'.repeat(LOG_LIMITS.textChars)}… (+5 chars)`);
  expect(boundText('short [a, b]')).toBe('short [a, b]');
  const [line] = jsonLines((logger) =>
    logger.info({ keys: Array.from({ length: 30 }, (_, i) => `k${i}`), wide: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i}`, i])) }, 'bounded'),
  );
  expect(line.keys).toEqual([...Array.from({ length: LOG_LIMITS.listItems }, (_, i) => `k${i}`), '… (+10)']);
  expect(Object.keys(line.wide as object)).toHaveLength(LOG_LIMITS.objectKeys + 1);
  expect((line.wide as Record<string, unknown>)['…']).toBe('+10 keys');
});

test('an error chain: each message once, the causes listed (at most 4), a bounded stack; an empty grpc "Resolution note" is dropped', () => {
  let error: Error = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:9191'), { code: 'EADDRINUSE' });
  for (let depth = 0; depth < 6; depth++) error = new Error(`level ${depth}`, { cause: error });
  const [line] = jsonLines((logger) => logger.error({ err: error }, 'failed'));
  const err = line.err as { type: string; message: string; stack: string; causes: { message: string; code?: string }[] };
  expect(err.type).toBe('Error');
  expect(err.message).toBe('level 5');
  expect(err.causes.map((c) => c.message)).toEqual(['level 4', 'level 3', 'level 2', 'level 1', '… (more causes)']);
  expect(err.stack.split('\n').length).toBeLessThanOrEqual(LOG_LIMITS.stackLines + 1);
  expect(JSON.stringify(line).match(/EADDRINUSE/g)).toBeNull();

  const grpc = boundError(new Error('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: '));
  expect(grpc.message).toBe('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1');
  const rest = boundError(new Error('cannot listen', { cause: Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' }) }));
  expect(rest.causes).toEqual([{ type: 'Error', message: 'listen EADDRINUSE', code: 'EADDRINUSE' }]);
});

test('a line still over the limit (a huge message) becomes a short notice that says so', () => {
  const [line] = jsonLines((logger) => logger.info({ seqNum: 4 }, 'm'.repeat(LOG_LIMITS.lineChars * 2)));
  expect(line).toMatchObject({ level: 30, seqNum: 4 });
  expect(JSON.stringify(line).length).toBeLessThan(LOG_LIMITS.textChars + 500);
  const notice = JSON.parse(boundLogLine(JSON.stringify({ level: 30, msg: 'x', blob: 'y'.repeat(LOG_LIMITS.lineChars) }))) as Record<string, unknown>;
  expect(notice).toMatchObject({ level: 30, msg: 'x', truncated: true });
  expect(notice.originalChars).toBeGreaterThan(LOG_LIMITS.lineChars);
});
