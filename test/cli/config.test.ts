import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONTROLLER_CONFIG } from '../../src/api/config';
import { AgentConfigError, loadAgentConfig } from '../../src/agent/config';
import { AGENT_SETTINGS, envNameOf, flagNameOf } from '../../src/agent/settings';
import { runCli } from './cliProcess';
import { makeCertificates } from './testCertificates';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cli-config-test-'));
  makeCertificates(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function configError(run: () => unknown): AgentConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof AgentConfigError) return error;
    throw error;
  }
  throw new Error('expected an AgentConfigError');
}

describe('loadAgentConfig', () => {
  test('defaults: the controller defaults, standalone store, loopback REST, JSON logs', () => {
    const config = loadAgentConfig({ env: {}, cwd: dir });
    expect(config).toEqual({
      controller: DEFAULT_CONTROLLER_CONFIG,
      etcd: { endpoints: [], tls: undefined },
      dataDir: join(dir, 'contivctl-data'),
      agentLabel: 'vpp1',
      southbound: { address: '127.0.0.1:9111', tls: undefined, token: undefined },
      rest: { host: '127.0.0.1', port: 9191, token: undefined, insecureNoAuth: false },
      log: { level: 'info', pretty: false },
      shutdownTimeout: 20000,
    });
  });

  test('file, then environment, then flags: each layer overrides the one before', () => {
    const yaml = file(
      'layers.yaml',
      ['controller:', '  delayRetry: 100', '  maxRetryAttempts: 7', '  enableRetry: false', 'etcd:', '  endpoints: [127.0.0.1:2379]', '  tls: { ca: certs/ca.pem }', 'dataDir: data', 'rest: { port: 9300 }'].join('\n'),
    );
    const config = loadAgentConfig({
      file: yaml,
      cwd: '/somewhere',
      env: { CONTIVCTL_CONTROLLER_DELAY_RETRY: '200', CONTIVCTL_CONTROLLER_ENABLE_RETRY: 'true', CONTIVCTL_REST_PORT: '9400', CONTIVCTL_LOG_PRETTY: 'yes' },
      flags: new Map([['rest.port', '0'], ['etcd.endpoints', 'a:1, b:2']]),
    });
    expect(config.controller).toMatchObject({ delayRetry: 200, maxRetryAttempts: 7, enableRetry: true });
    expect(config.rest.port).toBe(0);
    expect(config.etcd).toEqual({ endpoints: ['a:1', 'b:2'], tls: { ca: join(dir, 'certs/ca.pem'), cert: undefined, key: undefined } });
    // Relative paths of a file are relative to the file.
    expect(config.dataDir).toBe(join(dir, 'data'));
    expect(config.log.pretty).toBe(true);
  });

  test('JSON config files are read by the same parser', () => {
    const json = file('agent.json', JSON.stringify({ agentLabel: 'node7', southbound: { address: '10.0.0.1:9111', tokenFile: 'token.txt' } }));
    file('token.txt', 'secret\n');
    const config = loadAgentConfig({ file: json, env: {} });
    expect(config.agentLabel).toBe('node7');
    expect(config.southbound).toMatchObject({ address: '10.0.0.1:9111', token: 'secret' });
  });

  test('an unknown key in the file is named with the known keys', () => {
    const error = configError(() => loadAgentConfig({ file: file('typo.yaml', 'controller:\n  delayRetri: 5\n'), env: {} }));
    expect(error.key).toBe('controller.delayRetri');
    expect(error.message).toMatch(/^invalid agent config: controller\.delayRetri \(config file .*typo\.yaml\): unknown key \(known keys: controller\.eventQueueSize, /);
  });

  test('a bad value is named with its source and what was expected', () => {
    expect(configError(() => loadAgentConfig({ env: { CONTIVCTL_CONTROLLER_DELAY_RETRY: 'soon' } })).message).toBe(
      'invalid agent config: controller.delayRetry (environment variable CONTIVCTL_CONTROLLER_DELAY_RETRY): "soon" is not valid (expected milliseconds)',
    );
    // The controller's own range checks, reported with the agent's key and source.
    const range = configError(() => loadAgentConfig({ env: {}, flags: new Map([['controller.eventQueueSize', '0']]) }));
    expect(range.message).toMatch(/^invalid agent config: controller\.eventQueueSize \(flag --controller-event-queue-size\): 0 \(expected an integer >= 1\)$/);
    expect(range.cause).toBeInstanceOf(Error);
    expect(configError(() => loadAgentConfig({ env: { CONTIVCTL_LOG_LEVEL: 'loud' } })).message).toMatch(/log\.level .*"loud" is not valid \(expected one of fatal, error/);
    expect(configError(() => loadAgentConfig({ file: file('port.yaml', 'rest:\n  port: 70000\n'), env: {} })).message).toMatch(/rest\.port .*70000 is not valid \(expected a port 0-65535\)/);
    expect(configError(() => loadAgentConfig({ file: file('bool.json', '{"controller": {"enableRetry": "maybe"}}'), env: {} })).message).toMatch(/controller\.enableRetry .*"maybe" is not valid \(expected true or false\)/);
  });

  test('secrets are never echoed in errors', () => {
    const error = configError(() => loadAgentConfig({ file: file('secret.yaml', 'rest:\n  token: [s3cr3t]\n'), env: {} }));
    expect(error.message).not.toContain('s3cr3t');
    expect(error.message).toContain('<redacted>');
  });

  test('an unknown CONTIVCTL_ variable is an error (a typo would otherwise be ignored)', () => {
    const error = configError(() => loadAgentConfig({ env: { CONTIVCTL_CONTROLER_DELAY_RETRY: '5' } }));
    expect(error.key).toBe('CONTIVCTL_CONTROLER_DELAY_RETRY');
    expect(error.message).toMatch(/unknown variable \(known: CONTIVCTL_CONTROLLER_EVENT_QUEUE_SIZE, /);
  });

  test('unreadable and malformed files, half a client certificate, token and tokenFile together', () => {
    expect(configError(() => loadAgentConfig({ file: join(dir, 'missing.yaml'), env: {} })).message).toMatch(/config \(file .*missing\.yaml\): cannot read it: ENOENT/);
    expect(configError(() => loadAgentConfig({ file: file('bad.yaml', 'controller: [1\n'), env: {} })).message).toMatch(/not valid YAML or JSON/);
    expect(configError(() => loadAgentConfig({ env: { CONTIVCTL_SOUTHBOUND_TLS_CERT: '/c.pem' } })).key).toBe('southbound.tls.key');
    expect(configError(() => loadAgentConfig({ env: { CONTIVCTL_ETCD_TLS_CERT: '/c.pem', CONTIVCTL_ETCD_TLS_KEY: '/k.pem' } })).key).toBe('etcd.tls.ca');
    expect(configError(() => loadAgentConfig({ env: { CONTIVCTL_REST_TOKEN: 'a', CONTIVCTL_REST_TOKEN_FILE: '/t' } })).key).toBe('rest.tokenFile');
  });

  test('every setting has one environment variable and one flag, derived from its key', () => {
    expect(envNameOf('controller.remoteDBProbingInterval')).toBe('CONTIVCTL_CONTROLLER_REMOTE_DB_PROBING_INTERVAL');
    expect(flagNameOf('southbound.tls.serverName')).toBe('southbound-tls-server-name');
    const envs = AGENT_SETTINGS.map((s) => envNameOf(s.key));
    const flags = AGENT_SETTINGS.map((s) => flagNameOf(s.key));
    expect(new Set(envs).size).toBe(AGENT_SETTINGS.length);
    expect(new Set(flags).size).toBe(AGENT_SETTINGS.length);
  });

  test('docs/operations.md lists every setting with its variable and flag', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'operations.md'), 'utf8');
    for (const spec of AGENT_SETTINGS) {
      expect(doc).toContain(`| \`${spec.key}\` | \`${envNameOf(spec.key)}\` | \`--${spec.kind === 'boolean' ? '[no-]' : ''}${flagNameOf(spec.key)}\``);
    }
  });
});

describe('the agent binary with a bad config', () => {
  test.each([
    ['an unknown file key', (f: string) => ['agent', '--config', f], {}, /^agent: invalid agent config: rest\.prot \(config file .*\): unknown key/],
    ['a bad environment value', () => ['agent'], { CONTIVCTL_CONTROLLER_STARTUP_RESYNC_DEADLINE: '-5' }, /^agent: invalid agent config: controller\.startupResyncDeadline \(environment variable CONTIVCTL_CONTROLLER_STARTUP_RESYNC_DEADLINE\): -5 \(expected milliseconds between 0 and 2147483647\)/],
    ['a bad flag value', () => ['agent', '--rest-port', 'http'], {}, /^agent: invalid agent config: rest\.port \(flag --rest-port\): "http" is not valid \(expected an integer\)/],
    ['an unknown flag', () => ['agent', '--rest-prot', '1'], {}, /^agent: unknown option '--rest-prot'\n\(Did you mean --rest-port\?\)\nRun "contivctl agent --help" for the options\./],
    ['a value given to a boolean flag', () => ['agent', '--pretty', 'true'], {}, /^agent: too many arguments .*\n[^]*Flags such as --pretty take no value: write --pretty, or --no-pretty/],
    ['an agent label with a slash', () => ['agent', '--agent-label', 'vpp/1'], {}, /^agent: invalid agent config: agentLabel \(flag --agent-label\): "vpp\/1" cannot be used: invalid agent label "vpp\/1": must be non-empty and contain no "\/"/],
    ['a data dir that is a file', (f: string) => ['agent', '--data-dir', f], {}, /^agent: invalid agent config: dataDir \(flag --data-dir\): .*bad-agent\.yaml exists and is not a directory/],
    [
      'a REST host on the network without a token',
      () => ['agent', '--rest-host', '0.0.0.0'],
      {},
      /^agent: invalid agent config: rest\.host \(flag --rest-host\): 0\.0\.0\.0 is not a loopback address and no rest\.token is set: anyone who reaches it could POST \/controller\/resync; set rest\.tokenFile \(or rest\.token\), or pass --insecure-no-auth/,
    ],
    ['a handlers module that does not exist', () => ['agent', '--handlers', '/nonexistent/handlers.js'], {}, /^agent: cannot load handlers module \/nonexistent\/handlers\.js: Cannot find module/],
  ])('%s: exit 2 and a message naming it', async (_what, args, env, message) => {
    const config = file('bad-agent.yaml', 'rest:\n  prot: 1\n');
    const result = await runCli(args(config), env as Record<string, string>);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  test('a REST port already taken: exit 1, said once, with the flag and the setting that change it, and no event run', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCli(['agent', '--rest-port', String(port), '--data-dir', join(dir, 'taken'), '--southbound', '127.0.0.1:9'], {});
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`agent: REST port ${port} is in use (on 127.0.0.1); pass --rest-port or set rest.port (0 = any free port)\n`);
      // Nothing ran: no Shutdown event, no banner, no second copy of the error in the log.
      expect(result.stdout).not.toMatch(/Shutdown|EADDRINUSE|in use/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('a REST host that is not an address of this machine: exit 1, with the flag and the setting that change it', async () => {
    // TEST-NET-1 (RFC 5737): never an address of a local interface.
    const result = await runCli(['agent', '--rest-host', '192.0.2.1', '--insecure-no-auth', '--rest-port', '0', '--data-dir', join(dir, 'unavailable'), '--southbound', '127.0.0.1:9']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('agent: REST host 192.0.2.1 is not an address of this machine; pass --rest-host or set rest.host\n');
  });

  test('--help of every command exits 0 and documents its options', async () => {
    for (const [command, expected] of [
      ['agent', /CONTIVCTL_CONTROLLER_DELAY_RETRY/],
      ['demo', /--exit-after-scenario/],
      ['history', /--seq-num/],
      ['resync', /POST \/controller\/resync/],
      ['machine', /--definition/],
    ] as const) {
      const result = await runCli([command, '--help']);
      expect({ command, code: result.code }).toEqual({ command, code: 0 });
      expect(result.stdout).toMatch(expected);
    }
  });

  test('machine prints the controller machine as JSON for the Stately editor', async () => {
    const config = await runCli(['machine']);
    expect(config.code).toBe(0);
    const machine = JSON.parse(config.stdout) as { id: string; states: Record<string, unknown> };
    expect(machine.id).toBeDefined();
    expect(Object.keys(machine.states).length).toBeGreaterThan(0);
    const definition = JSON.parse((await runCli(['machine', '--definition'])).stdout) as { id: string; states: Record<string, { on?: unknown }> };
    expect(definition.id).toBe(machine.id);
  });
});
