import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ResourceRegistrationError, UnknownFieldError, UnknownResourceError, WriterUsageError } from './errors';
import { EtcdStore } from './etcdStore';
import { KubeStateWriter, type ValueFormat } from './kubeStateWriter';
import { LmdbStore } from './lmdbStore';
import { loadProtoFiles } from './protoFiles';
import { ResourceRegistry } from './registry';
import type { KeyValueStore } from './store';

export const WRITER_USAGE = `Usage: contivctl <put|delete> <resource|config> [options]

  put <resource> (--json <object> | --file <path>)       put a Kubernetes object (key from its name/namespace)
  delete <resource> --name <name> [--namespace <ns>]     delete a Kubernetes object
  put config --agent <label> --key <key> (--json | --file) --proto <file> --type <message>
                                                          put external config under /vnf-agent/<label>/<key>
  delete config --agent <label> --key <key>              delete external config

Resources: pod, namespace, node, service, endpoints, policy, or a custom one with
  --proto <file> --type <message> [--key-prefix <prefix>] [--cluster-scoped]
  (default key prefix: k8s/<resource>/)

Store (exactly one):
  --etcd <host:port[,host:port...]>   the remote DB
  --data-dir <dir>                    the embedded LMDB store (standalone mode)

  --format json|binary                value encoding (default json, as the reflector: original
                                      field names, enums by name, defaults left out)
  --allow-unknown-fields              leave out fields of the value its type does not have
                                      (default: such a field is an error)

A value may name its fields by their .proto names (ip_address) or lowerCamel (ipAddress).
`;

/** Where the command prints; tests capture it. */
export interface WriterIo {
  out(line: string): void;
  err(line: string): void;
}

const PROCESS_IO: WriterIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

const OPTIONS = {
  etcd: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'string' },
  file: { type: 'string' },
  name: { type: 'string' },
  namespace: { type: 'string' },
  agent: { type: 'string' },
  key: { type: 'string' },
  format: { type: 'string' },
  proto: { type: 'string' },
  type: { type: 'string' },
  'key-prefix': { type: 'string' },
  'cluster-scoped': { type: 'boolean' },
  'allow-unknown-fields': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function required(values: Values, name: 'agent' | 'key' | 'name' | 'proto' | 'type'): string {
  const value = values[name];
  if (!value) throw new WriterUsageError(`--${name} is required`);
  return value;
}

function openStore(values: Values): KeyValueStore {
  if (values.etcd && values['data-dir']) throw new WriterUsageError('give either --etcd or --data-dir, not both');
  if (values.etcd) return new EtcdStore({ endpoints: values.etcd.split(',').map((e) => e.trim()).filter(Boolean) });
  if (values['data-dir']) return new LmdbStore({ dataDir: values['data-dir'], pollIntervalMs: 1000 });
  throw new WriterUsageError('a store is required: --etcd <endpoints> or --data-dir <dir>');
}

function readValue(values: Values): Record<string, unknown> {
  const text = values.json ?? (values.file ? readFileSync(values.file, 'utf8') : undefined);
  if (text === undefined) throw new WriterUsageError('a value is required: --json <object> or --file <path>');
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (cause) {
    throw new WriterUsageError(`the value is not valid JSON: ${(cause as Error).message}`, { cause });
  }
}

function registryFor(values: Values, command: string, target: string): ResourceRegistry {
  const registry = ResourceRegistry.withBuiltins();
  if (!values.proto && !values.type) {
    if (target === 'config' && command === 'put') {
      throw new WriterUsageError('put config needs the type of the value: --proto <file.proto> --type <package.Message>');
    }
    return registry;
  }
  if (!values.proto) throw new WriterUsageError(`--type ${values.type} needs --proto <file.proto>, the file that defines it`);
  if (!values.type) throw new WriterUsageError(`--proto ${values.proto} needs --type <package.Message>, the message of the value`);
  let type;
  try {
    type = loadProtoFiles(values.proto).lookupType(values.type);
  } catch (cause) {
    if (cause instanceof WriterUsageError) throw cause;
    throw new WriterUsageError(`cannot load ${values.type} from ${values.proto}: ${(cause as Error).message}`, { cause });
  }
  if (target === 'config') {
    registry.registerExternalConfig({ keyPrefix: required(values, 'key'), type });
  } else {
    registry.register({
      keyword: target,
      keyPrefix: values['key-prefix'] ?? `k8s/${target}/`,
      type,
      namespaced: !values['cluster-scoped'],
    });
  }
  return registry;
}

async function execute(command: string, target: string, values: Values, io: WriterIo): Promise<void> {
  const format = (values.format ?? 'json') as ValueFormat;
  if (format !== 'json' && format !== 'binary') throw new WriterUsageError(`--format must be json or binary, not "${format}"`);
  const registry = registryFor(values, command, target);
  const store = openStore(values);
  try {
    const writer = new KubeStateWriter(store, registry, {
      format,
      ...(values['allow-unknown-fields'] && { onUnknownField: (path: string) => io.err(`contivctl: leaving out unknown field "${path}"`) }),
    });
    if (command === 'put') {
      const result =
        target === 'config'
          ? await writer.putExternalConfig(required(values, 'agent'), required(values, 'key'), readValue(values))
          : await writer.putResource(target, readValue(values));
      io.out(`put ${result.key} (revision ${result.revision})`);
    } else {
      const key = target === 'config' ? required(values, 'key') : required(values, 'name');
      const existed =
        target === 'config'
          ? await writer.deleteExternalConfig(required(values, 'agent'), key)
          : await writer.deleteResource(target, key, values.namespace);
      io.out(existed ? `deleted ${target} ${key}` : `${target} ${key} did not exist`);
    }
  } finally {
    await store.close();
  }
}

/**
 * The writer's command line: `put` / `delete` of Kubernetes resources and external config.
 * Returns the exit code: 0 done, 1 the store failed, 2 a usage error.
 */
export async function runWriterCommand(argv: string[], io: WriterIo = PROCESS_IO): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (cause) {
    io.err(`${(cause as Error).message}\n\n${WRITER_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(WRITER_USAGE);
    return 0;
  }
  const [command, target, ...extra] = positionals;
  if ((command !== 'put' && command !== 'delete') || !target || extra.length > 0) {
    io.err(`expected "put <resource|config>" or "delete <resource|config>"\n\n${WRITER_USAGE}`);
    return 2;
  }
  try {
    await execute(command, target, values, io);
    return 0;
  } catch (error) {
    if (error instanceof UnknownFieldError) {
      io.err(`contivctl: ${error.message}; give --allow-unknown-fields to leave it out`);
      return 2;
    }
    const usage =
      error instanceof WriterUsageError ||
      error instanceof UnknownResourceError ||
      error instanceof ResourceRegistrationError ||
      error instanceof RangeError;
    io.err(`contivctl: ${(error as Error).message}`);
    return usage ? 2 : 1;
  }
}
