import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliProcess, runCli } from './cliProcess';

/** The command line as a new user meets it: version, help, suggestions, config print, the tools' errors. */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-command-line-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COMMANDS = ['demo', 'agent', 'history', 'resync', 'machine', 'config', 'config print'];

test('--version prints the version and exits 0; no command prints the usage and exits 2', async () => {
  const version = await runCli(['--version']);
  expect(version).toMatchObject({ code: 0, stderr: '' });
  expect(version.stdout).toMatch(/^contivctl \d+\.\d+\.\d+ \(node v\d+/);
  const none = await runCli([]);
  expect(none.code).toBe(2);
  expect(none.stderr).toMatch(/^Usage: contivctl \[options\] \[command\]/);
  for (const command of ['agent', 'southbound', 'put', 'delete', 'history', 'resync', 'machine', 'config']) expect(none.stderr).toContain(`  ${command} `);
});

test('an unknown command or flag gets a "did you mean", and exit 2', async () => {
  const command = await runCli(['agnet']);
  expect(command.code).toBe(2);
  expect(command.stderr).toBe("contivctl: unknown command 'agnet'\n(Did you mean agent?)\n");
  const flag = await runCli(['history', '--lats', '5']);
  expect(flag.code).toBe(2);
  expect(flag.stderr).toMatch(/^history: unknown option '--lats'\n\(Did you mean --last\?\)/);
});

test('the help of every command exits 0 and fits 100 columns when stdout is not a terminal', async () => {
  for (const command of COMMANDS) {
    const help = await runCli([...command.split(' '), '--help']);
    expect({ command, code: help.code }).toEqual({ command, code: 0 });
    const widest = Math.max(...help.stdout.split('\n').map((line) => line.length));
    expect({ command, widest: widest <= 100 }).toEqual({ command, widest: true });
  }
  const agent = await runCli(['agent', '--help']);
  // Every setting, with its variable; booleans with their --no- form.
  expect(agent.stdout).toMatch(/--controller-delay-retry <ms> +first retry delay \(ms\)/);
  expect(agent.stdout).toContain('CONTIVCTL_CONTROLLER_DELAY_RETRY');
  expect(agent.stdout).toMatch(/--\[no-\]log-pretty +human-readable logs[^]*?\(also --\[no-\]pretty\)/);
  expect((await runCli(['help', 'history'])).stdout).toMatch(/--seq-num <n>/);
});

test('config print: every setting, its value and where it came from (default, file, variable, flag); tokens redacted', async () => {
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, 'controller:\n  delayRetry: 250\nrest:\n  token: file-secret\n');
  const printed = await runCli(['config', 'print', '--config', file, '--rest-port', '9300', '--no-pretty'], { CONTIVCTL_AGENT_LABEL: 'vpp7', CONTIVCTL_DATA_DIR: join(dir, 'elsewhere') });
  expect(printed.code).toBe(0);
  const rows = new Map(printed.stdout.trimEnd().split('\n').map((line) => [line.split(/\s+/)[0], line.split(/\s{2,}/)] as const));
  expect(rows.get('KEY')).toEqual(['KEY', 'VALUE', 'SOURCE']);
  expect(rows.get('controller.delayRetry')).toEqual(['controller.delayRetry', '250', `config file ${file}`]);
  expect(rows.get('controller.delayAfterErrorHealing')).toEqual(['controller.delayAfterErrorHealing', '5000', 'default']);
  expect(rows.get('agentLabel')).toEqual(['agentLabel', 'vpp7', 'environment variable CONTIVCTL_AGENT_LABEL']);
  expect(rows.get('rest.port')).toEqual(['rest.port', '9300', 'flag --rest-port']);
  expect(rows.get('dataDir')).toEqual(['dataDir', join(dir, 'elsewhere'), 'environment variable CONTIVCTL_DATA_DIR']);
  expect(rows.get('log.pretty')).toEqual(['log.pretty', 'false', 'flag --log-pretty']);
  expect(rows.get('rest.token')).toEqual(['rest.token', '<redacted>', `config file ${file}`]);
  expect(printed.stdout).not.toContain('file-secret');

  const json = await runCli(['config', 'print', '--json', '--rest-token', 'flag-secret']);
  const settings = JSON.parse(json.stdout) as { key: string; value: unknown; source: string }[];
  expect(settings.find((s) => s.key === 'rest.token')).toEqual({ key: 'rest.token', value: '<redacted>', source: 'flag --rest-token' });
  expect(json.stdout).not.toContain('flag-secret');

  const bad = await runCli(['config', 'print'], { CONTIVCTL_REST_PORT: 'http' });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toBe('config print: invalid agent config: rest.port (environment variable CONTIVCTL_REST_PORT): "http" is not valid (expected an integer)\n');
});

test('the writer through the command line: put config names the flags of the type; an unknown field names --allow-unknown-fields', async () => {
  const store = join(dir, 'writer-store');
  const config = await runCli(['put', 'config', '--agent', 'vpp1', '--key', 'config/x', '--json', '{"mtu": 1}', '--data-dir', store]);
  expect(config.code).toBe(2);
  expect(config.stderr).toContain('put config needs the type of the value: --proto <file.proto> --type <package.Message>');
  const unknown = await runCli(['put', 'pod', '--json', '{"name": "p", "namespace": "default", "colour": "blue"}', '--data-dir', store]);
  expect(unknown.code).not.toBe(0);
  expect(unknown.stderr).toMatch(/colour.*give --allow-unknown-fields to leave it out/);
  const allowed = await runCli(['put', 'pod', '--json', '{"name": "p", "namespace": "default", "colour": "blue"}', '--data-dir', store, '--allow-unknown-fields']);
  expect(allowed.code).toBe(0);
  expect(allowed.stderr).toContain('leaving out unknown field "colour"');
  expect((await runCli(['put', '--help'])).stdout).toMatch(/^Usage: contivctl <put\|delete>/);
});

test('history with a token file that cannot be read: a usage error naming the file, exit 2', async () => {
  const result = await runCli(['history', '--url', 'http://127.0.0.1:9', '--token-file', join(dir, 'missing.token')]);
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/^history: --token-file .*missing\.token cannot be read: ENOENT/);
});

test('machine: every action appears by name; the inline ones by their XState type', async () => {
  const machine = await runCli(['machine']);
  expect(machine.code).toBe(0);
  expect(machine.stdout).not.toContain('null');
  expect(machine.stdout).toContain('"type": "xstate.assign"');
  expect(machine.stdout).toContain('"assigns": [');
  expect(machine.stdout).toContain('"queueHealingResync"');
  const definition = await runCli(['machine', '--definition']);
  expect(JSON.parse(definition.stdout)).toMatchObject({ id: expect.any(String) as unknown as string });
});

test('the reference southbound takes its token from CONTIVCTL_SOUTHBOUND_TOKEN, the agent\'s variable; the old name is refused', async () => {
  const refused = await runCli(['southbound', '--listen', '127.0.0.1:0'], { SOUTHBOUND_TOKEN: 'old' });
  expect(refused.code).toBe(2);
  expect(refused.stderr).toBe("southbound: SOUTHBOUND_TOKEN is not read: set CONTIVCTL_SOUTHBOUND_TOKEN (the agent's variable for the same token) or use --token-file\n");
  const southbound = new CliProcess(['southbound', '--listen', '127.0.0.1:0'], { CONTIVCTL_SOUTHBOUND_TOKEN: 'shared-secret' });
  try {
    await southbound.waitForOutput(/"msg":"southbound listening"/);
    expect(southbound.stdout).toMatch(/"auth":true/);
  } finally {
    await southbound.stop();
  }
});
