import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtcdStore } from '../../src/dbwatcher/etcdStore';
import { KSR_PREFIX } from '../../src/dbwatcher/keys';
import { LmdbStore } from '../../src/dbwatcher/lmdbStore';
import { openDbWatcher } from '../../src/dbwatcher/openDbWatcher';
import { ResourceRegistry } from '../../src/dbwatcher/registry';
import { runWriterCommand, type WriterIo } from '../../src/dbwatcher/writerCommand';
import { EtcdTestServer } from '../support/etcd';
import { DECODED, KSR_VALUES } from './fixtures';
import { RecordingEventLoop, json, silentLogger, tempDir, waitFor } from './helpers';

function captureIo(): WriterIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => void lines.push(l), err: (l) => void errors.push(l) };
}

describe('the writer command line', () => {
  const dir = tempDir('writer');
  let etcd: EtcdTestServer;
  let etcdStore: EtcdStore;

  beforeAll(async () => {
    etcd = await EtcdTestServer.start();
    etcdStore = new EtcdStore({ endpoints: [etcd.endpoint] });
  });

  afterAll(async () => {
    await etcdStore?.close();
    await etcd?.stop();
    dir.remove();
  });

  test('puts and deletes a pod in etcd at the reflector\'s key, byte for byte in the reflector\'s encoding', async () => {
    const io = captureIo();
    // Given with lowerCamel names and a default (protocol TCP): written with original names, without it.
    const pod = JSON.stringify({ ...DECODED.pod, container: [{ name: 'nginx', port: [{ name: 'http', containerPort: 80, protocol: 'TCP' }] }] });
    expect(await runWriterCommand(['put', 'pod', '--etcd', etcd.endpoint, '--json', pod], io)).toBe(0);
    const key = `${KSR_PREFIX}k8s/pod/web-1/namespace/default`;
    expect(io.lines[0]).toMatch(new RegExp(`^put ${key} \\(revision \\d+\\)$`));
    expect((await etcdStore.get(key))?.value.toString()).toBe(KSR_VALUES.pod);
    expect(await runWriterCommand(['delete', 'pod', '--etcd', etcd.endpoint, '--name', 'web-1', '--namespace', 'default'], io)).toBe(0);
    expect(await etcdStore.get(key)).toBeUndefined();
    expect(io.errors).toEqual([]);
  });

  test('writes binary values and external config with a model from a .proto file', async () => {
    const protoFile = join(dir.path, 'iface.proto');
    writeFileSync(protoFile, 'syntax = "proto3"; package demo; message Interface { string name = 1; uint32 mtu = 2; }');
    const io = captureIo();
    const args = ['--etcd', etcd.endpoint, '--agent', 'vpp1', '--key', 'config/interfaces/tap1', '--proto', protoFile, '--type', 'demo.Interface'];
    expect(await runWriterCommand(['put', 'config', ...args, '--json', '{"name":"tap1","mtu":1500}'], io)).toBe(0);
    expect(JSON.parse((await etcdStore.get('/vnf-agent/vpp1/config/interfaces/tap1'))?.value.toString() ?? '')).toEqual({ name: 'tap1', mtu: 1500 });
    expect(await runWriterCommand(['put', 'node', '--etcd', etcd.endpoint, '--format', 'binary', '--json', '{"name":"n1","pod_CIDR":"10.1.0.0/24"}'], io)).toBe(0);
    const node = ResourceRegistry.withBuiltins().get('node').type.decode((await etcdStore.get(`${KSR_PREFIX}k8s/node/n1`))!.value);
    expect(node.toJSON()).toEqual({ name: 'n1', pod_CIDR: '10.1.0.0/24' });
    expect(await runWriterCommand(['delete', 'config', '--etcd', etcd.endpoint, '--agent', 'vpp1', '--key', 'config/interfaces/tap1'], io)).toBe(0);
    expect(io.errors).toEqual([]);
  });

  test('usage errors exit with 2 and say what is wrong', async () => {
    const cases: [string[], RegExp][] = [
      [['put'], /expected "put/],
      [['put', 'pod', '--json', '{}'], /a store is required/],
      [['put', 'pod', '--data-dir', dir.path, '--etcd', etcd.endpoint, '--json', '{}'], /either --etcd or --data-dir/],
      [['put', 'deployment', '--data-dir', join(dir.path, 'u'), '--json', '{"name":"x"}'], /no registered resource/],
      [['put', 'pod', '--data-dir', join(dir.path, 'u'), '--json', '{"name":"x"'], /not valid JSON/],
      [['put', 'pod', '--data-dir', join(dir.path, 'u'), '--json', '{"name":"x"}'], /needs a namespace/],
      [['delete', 'pod', '--data-dir', join(dir.path, 'u')], /--name is required/],
      [['put', 'pod', '--bogus'], /Unknown option/],
      [['put', 'vnf', '--data-dir', join(dir.path, 'u'), '--proto', join(dir.path, 'missing.proto'), '--type', 'x.Vnf', '--json', '{}'], /cannot load x\.Vnf/],
    ];
    for (const [argv, message] of cases) {
      const io = captureIo();
      expect(await runWriterCommand(argv, io)).toBe(2);
      expect(io.errors.join('\n')).toMatch(message);
    }
  });

  test('an unknown field in a put value is an error naming it, unless --allow-unknown-fields', async () => {
    const store = ['--data-dir', join(dir.path, 'unknown-fields')];
    const value = '{"name":"web","namespace":"default","ip_address":"10.1.1.2","colour":"blue","container":[{"name":"c","image":"nginx"}]}';
    const refused = captureIo();
    expect(await runWriterCommand(['put', 'pod', ...store, '--json', value], refused)).toBe(2);
    expect(refused.errors).toEqual(['contivctl: colour: unknown field "colour" (not a field of pod.Pod); give --allow-unknown-fields to leave it out']);
    expect(refused.lines).toEqual([]);

    const allowed = captureIo();
    expect(await runWriterCommand(['put', 'pod', ...store, '--allow-unknown-fields', '--json', value], allowed)).toBe(0);
    expect(allowed.errors).toEqual(['contivctl: leaving out unknown field "colour"', 'contivctl: leaving out unknown field "container[0].image"']);
    const reader = new LmdbStore({ dataDir: join(dir.path, 'unknown-fields') });
    try {
      expect((await reader.get(`${KSR_PREFIX}k8s/pod/web/namespace/default`))?.value.toString()).toBe(
        '{"name":"web","namespace":"default","ip_address":"10.1.1.2","container":[{"name":"c"}]}',
      );
    } finally {
      await reader.close();
    }
  });

  test('a put value of the wrong shape is a usage error saying where', async () => {
    const io = captureIo();
    expect(await runWriterCommand(['put', 'pod', '--data-dir', join(dir.path, 'u'), '--json', '{"name":5,"namespace":"default"}'], io)).toBe(2);
    expect(io.errors).toEqual(['contivctl: value is not a valid pod.Pod: name: expected a string, got number 5']);
  });

  test('put config without a type names the flags that give it', async () => {
    const cases: [string[], string][] = [
      [[], 'contivctl: put config needs the type of the value: --proto <file.proto> --type <package.Message>'],
      [['--type', 'demo.Interface'], 'contivctl: --type demo.Interface needs --proto <file.proto>, the file that defines it'],
      [['--proto', 'iface.proto'], 'contivctl: --proto iface.proto needs --type <package.Message>, the message of the value'],
    ];
    for (const [flags, message] of cases) {
      const io = captureIo();
      const argv = ['put', 'config', '--data-dir', join(dir.path, 'u'), '--agent', 'vpp1', '--key', 'config/x', '--json', '{"name":"x"}', ...flags];
      expect(await runWriterCommand(argv, io)).toBe(2);
      expect(io.errors).toEqual([message]);
    }
  });

  test('an unreachable etcd exits with 1', async () => {
    const io = captureIo();
    const code = await runWriterCommand(['put', 'namespace', '--etcd', '127.0.0.1:1', '--json', '{"name":"ns"}'], io);
    expect(code).toBe(1);
    expect(io.errors[0]).toMatch(/etcd\(127\.0\.0\.1:1\): put/);
  });

  test('standalone mode: the watcher follows what the writer puts into the embedded store', async () => {
    const dataDir = join(dir.path, 'standalone');
    const io = captureIo();
    expect(await runWriterCommand(['put', 'namespace', '--data-dir', dataDir, '--json', '{"name":"default"}'], io)).toBe(0);
    const loop = new RecordingEventLoop();
    const agent = openDbWatcher({ eventLoop: loop, agentLabel: 'vpp1', logger: silentLogger(), dataDir });
    try {
      expect(agent.localMirror).toBeUndefined();
      agent.watcher.start();
      const resync = await waitFor(() => loop.resyncs()[0], 'the resync from the embedded store');
      expect([...(resync.kubeState.get('namespace')?.keys() ?? [])]).toEqual(['k8s/namespace/default']);
      expect(await runWriterCommand(['put', 'pod', '--data-dir', dataDir, '--json', KSR_VALUES.pod], io)).toBe(0);
      const change = await waitFor(() => loop.kubeChanges()[0], 'the pod change');
      expect(json(change.newValue)).toEqual(DECODED.pod);
      expect(io.errors).toEqual([]);
    } finally {
      await agent.close();
    }
  });
});
