/**
 * The package as users get it, installed once each way, in beforeAll (from npm's cache where it
 * can): `npm pack` installed into a fresh ES module project, and `npm install git+file://` of the
 * working tree into a fresh CommonJS project (npm clones it, installs its dev dependencies, runs
 * `prepare`, which builds dist, and packs it). Then it checks the tarball, what the entries load,
 * ES module and CommonJS imports, types, the bin, and that every TypeScript snippet of README.md
 * and docs/ compiles (tsc --strict) and runs in both projects.
 * The figures it prints (load time of the main entry) are for reading; the benchmark measures.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asCommonJs, docSnippets } from './docSnippets';
import { PACKAGE, ROOT, TSC, assertBuilt, consumerDependencies, freshProject, gitSnapshot, pack, run, runOk, type ModuleKind, type RunResult } from './packedInstall';

const SUBPATHS = ['', '/southbound', '/dbwatcher', '/agent', '/testing', '/machine', '/examples/network'] as const;
/** What the main entry must not load: servers, clients, stores (and their protocol and metric libraries). */
const NOT_IN_MAIN = ['fastify', '@grpc/grpc-js', '@grpc/proto-loader', 'etcd3', 'lmdb', 'prom-client', 'ws', '@statelyai/inspect'];

const snippets = docSnippets(ROOT);

const TYPES_PROGRAM = `
import { createController, DBResync, InMemorySouthbound, type Controller, type EventHandler } from '${PACKAGE}';
import { GrpcSouthbound, SouthboundServer } from '${PACKAGE}/southbound';
import { LmdbStore, openDbWatcher, ResourceRegistry } from '${PACKAGE}/dbwatcher';
import { ControllerMetrics, loadAgentConfig, startAgent, startRestServer } from '${PACKAGE}/agent';
import { createTestController, FakeSouthbound, waitFor, type TestController } from '${PACKAGE}/testing';
import { controllerMachine, type ControllerMachineEvent } from '${PACKAGE}/machine';
import { createNetworkHandlers } from '${PACKAGE}/examples/network';

const handler: EventHandler = { name: 'h', handlesEvent: (event) => event instanceof DBResync, resync: () => undefined, update: () => '', revert: () => undefined };
const controller: Controller = createController({ handlers: [handler, ...createNetworkHandlers()], southbound: new InMemorySouthbound() });
const kit: Promise<TestController> = createTestController({ handlers: [handler], southbound: new FakeSouthbound() });
const event: ControllerMachineEvent = { type: 'controller.close' };
export const used = [controller, kit, event, controllerMachine.id, GrpcSouthbound, SouthboundServer, LmdbStore, openDbWatcher, ResourceRegistry.withBuiltins, ControllerMetrics, loadAgentConfig, startAgent, startRestServer, waitFor];
// A wrong use must fail to compile: the types are there, not any.
// @ts-expect-error createController needs a southbound
createController({ handlers: [] });
`;

let dir: string;
let tarballFiles: string[];
const projects = {} as Record<ModuleKind, string>;
/** tsc's output for each project: the docs' snippets and the types program, compiled at once. */
const compiled = {} as Record<ModuleKind, string>;

/** What tsc said about one file of a project. */
function problemsIn(kind: ModuleKind, file: string): string[] {
  return compiled[kind].split('\n').filter((line) => line.includes(file));
}

/** Writes the snippets (as CommonJS in the CommonJS project) and the types program, and compiles them with tsc --strict. */
async function compileIn(kind: ModuleKind): Promise<void> {
  const project = projects[kind];
  mkdirSync(join(project, 'snippets'), { recursive: true });
  mkdirSync(join(project, 'checks'), { recursive: true });
  for (const snippet of snippets) writeFileSync(join(project, 'snippets', `${snippet.name}.ts`), kind === 'esm' ? snippet.code : asCommonJs(snippet.code));
  writeFileSync(join(project, 'checks', 'types.ts'), TYPES_PROGRAM);
  const result = await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project, timeoutMs: 300_000 });
  compiled[kind] = result.stdout + result.stderr;
  // The per-file checks look for lines naming their file: a tsc that failed as a whole (no
  // compiler, a bad tsconfig) names none, and must not pass them.
  const perFile = /\.ts\(\d+,\d+\): error TS/;
  const wholeFailure = result.code !== 0 && !compiled[kind].split('\n').some((line) => perFile.test(line));
  if (wholeFailure) throw new Error(`tsc failed in the ${kind} project (exit ${result.code}):\n${compiled[kind]}`);
}

beforeAll(async () => {
  assertBuilt();
  dir = mkdtempSync(join(tmpdir(), 'packed-install-'));
  const { tarball, files } = await pack(dir);
  tarballFiles = files;
  const fromGit = await gitSnapshot(join(dir, 'repo'));
  [projects.esm, projects.cjs] = await Promise.all([
    freshProject(join(dir, 'esm'), 'esm', [tarball, ...consumerDependencies()]),
    freshProject(join(dir, 'cjs'), 'cjs', [fromGit, ...consumerDependencies()]),
  ]);
  await Promise.all([compileIn('esm'), compileIn('cjs')]);
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the tarball', () => {
  test('holds dist, the .proto files, README, LICENSE and docs only', () => {
    const allowed = /^(package\.json|README\.md|LICENSE|docs\/[^/]+\.(md|png)|dist\/(src|actors|machines|examples|dashboard)\/.+|(src|examples)\/.+\.proto)$/;
    expect(tarballFiles.filter((file) => !allowed.test(file))).toEqual([]);
    expect(tarballFiles.filter((file) => /\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
    for (const file of ['LICENSE', 'README.md', 'docs/embedding.md', 'src/southbound/proto/southbound.proto', 'src/dbwatcher/proto/pod.proto', 'examples/network/proto/network.proto', 'dist/dashboard/index.html']) {
      expect(tarballFiles).toContain(file);
    }
  });

  test('has the entry point and the type declarations of every subpath of the exports map', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }> };
    expect(Object.keys(manifest.exports).sort()).toEqual([...SUBPATHS.map((s) => `.${s}`), './package.json'].sort());
    for (const target of Object.values(manifest.exports)) {
      for (const file of typeof target === 'string' ? [target] : [target.types, target.default]) expect(tarballFiles).toContain(file.replace(/^\.\//, ''));
    }
  });
});

/** Loads `specifier` in a child process of the project and reports the packages it loaded and how long it took. */
async function loadIn(kind: ModuleKind, specifier: string): Promise<{ ms: number; packages: string[] }> {
  const program = [
    kind === 'esm' ? "import { createRequire } from 'node:module';" : '',
    'const started = performance.now();',
    kind === 'esm' ? `await import(${JSON.stringify(specifier)});` : `require(${JSON.stringify(specifier)});`,
    'const ms = performance.now() - started;',
    kind === 'esm' ? 'const cache = createRequire(import.meta.url).cache;' : 'const cache = require.cache;',
    "const packageOf = (file) => { const at = file.lastIndexOf('node_modules/'); if (at < 0) return undefined; const [a, b] = file.slice(at + 13).split('/'); return a.startsWith('@') ? `${a}/${b}` : a; };",
    'console.log(JSON.stringify({ ms, packages: [...new Set(Object.keys(cache).map(packageOf).filter(Boolean))] }));',
  ].join('\n');
  const file = join(projects[kind], `load-${specifier.replace(/\W+/g, '-')}.${kind === 'esm' ? 'mjs' : 'cjs'}`);
  writeFileSync(file, program);
  return JSON.parse(await runOk(process.execPath, [file], { cwd: projects[kind] })) as { ms: number; packages: string[] };
}

describe('a git install', () => {
  test('builds dist through prepare: the CommonJS project has the package, its dashboard bundle included', () => {
    const installed = join(projects.cjs, 'node_modules', PACKAGE);
    expect(JSON.parse(readFileSync(join(projects.cjs, 'package.json'), 'utf8')).dependencies[PACKAGE]).toMatch(/^git\+file:/);
    for (const file of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/dashboard/index.html', 'src/southbound/proto/southbound.proto']) {
      expect({ file, there: existsSync(join(installed, file)) }).toEqual({ file, there: true });
    }
  });
});

describe('the main entry', () => {
  test.each(['cjs', 'esm'] as const)('loads none of fastify, @grpc/grpc-js, etcd3, lmdb (%s)', async (kind) => {
    const { ms, packages } = await loadIn(kind, PACKAGE);
    // For reading, not asserted: `npm run bench` measures the load time.
    console.log(`${kind}: loading ${PACKAGE} took ${ms.toFixed(0)} ms and loaded ${packages.join(', ')}`);
    expect(packages).toContain(PACKAGE);
    expect(packages.filter((p) => NOT_IN_MAIN.includes(p))).toEqual([]);
  });

  test('the testing kit and the machine load no server, client or store either', async () => {
    for (const subpath of ['/testing', '/machine']) {
      const { packages } = await loadIn('cjs', `${PACKAGE}${subpath}`);
      expect({ subpath, loaded: packages.filter((p) => NOT_IN_MAIN.includes(p)) }).toEqual({ subpath, loaded: [] });
    }
  });
});

describe('ES modules and CommonJS', () => {
  test('every subpath gives an ES module the same named exports as require() gives CommonJS', async () => {
    const program = [
      "import { createRequire } from 'node:module';",
      'const require = createRequire(import.meta.url);',
      'const result = {};',
      `for (const subpath of ${JSON.stringify(SUBPATHS)}) {`,
      `  const specifier = ${JSON.stringify(PACKAGE)} + subpath;`,
      '  const esm = await import(specifier);',
      '  const cjs = require(specifier);',
      "  result[subpath || '.'] = { count: Object.keys(cjs).length, missingInEsm: Object.keys(cjs).filter((name) => !(name in esm) || esm[name] !== cjs[name]) };",
      '}',
      'console.log(JSON.stringify(result));',
    ].join('\n');
    writeFileSync(join(projects.esm, 'named-exports.mjs'), program);
    const result = JSON.parse(await runOk(process.execPath, ['named-exports.mjs'], { cwd: projects.esm })) as Record<string, { count: number; missingInEsm: string[] }>;
    for (const [subpath, { count, missingInEsm }] of Object.entries(result)) {
      expect({ subpath, missingInEsm }).toEqual({ subpath, missingInEsm: [] });
      expect(count).toBeGreaterThan(0);
    }
  });


  test.each(['esm', 'cjs'] as const)('types resolve for every subpath under moduleResolution nodenext, strict, no skipLibCheck (%s)', (kind) => {
    expect(problemsIn(kind, 'checks/types.ts')).toEqual([]);
  });
});

describe('contivctl from a packed install', () => {
  test('npx contivctl runs the installed bin (never the registry): --version, then the whole demo on its .proto files and dashboard', async () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const printed = await runOk('npx', ['--no-install', 'contivctl', '--version'], { cwd: projects.cjs });
    expect(printed).toContain(version);
    const demo = await run('npx', ['--no-install', 'contivctl', 'demo', '--exit-after-scenario', '--rest-port', '0'], { cwd: projects.esm, timeoutMs: 120_000 });
    expect({ code: demo.code, stderr: demo.stderr }).toEqual({ code: 0, stderr: '' });
    expect(demo.stdout).toContain('scenario done');
  });
});

describe('the docs\' TypeScript snippets, compiled with tsc --strict and run in both projects', () => {
  const cases = snippets.flatMap((snippet) => (['esm', 'cjs'] as const).map((kind) => [`${snippet.doc}:${snippet.line} (${snippet.name})`, kind, snippet] as const));
  /** The result of each run, by `<kind>:<name>`. */
  const runs = new Map<string, RunResult>();

  beforeAll(async () => {
    // Two at a time: most of a run is starting Node and loading modules.
    const queue = cases.filter(([, , snippet]) => snippet.run);
    const worker = async (): Promise<void> => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [, kind, snippet] = next;
        // Killed after 60 s: nothing is left running.
        runs.set(`${kind}:${snippet.name}`, await run(process.execPath, [join('out', 'snippets', `${snippet.name}.js`)], { cwd: projects[kind], timeoutMs: 60_000 }));
      }
    };
    await Promise.all([worker(), worker()]);
  }, 600_000);

  test('there are snippets, the README\'s embedding program among them', () => {
    expect(snippets.map((s) => s.name)).toContain('readme-1');
    expect(snippets.length).toBeGreaterThanOrEqual(10);
  });

  test.each(cases)('%s compiles (%s)', (_where, kind, snippet) => {
    expect(problemsIn(kind, `snippets/${snippet.name}.ts`)).toEqual([]);
  });

  test.each(cases.filter(([, , snippet]) => snippet.run))('%s runs to its end (%s)', (_where, kind, snippet) => {
    const result = runs.get(`${kind}:${snippet.name}`);
    expect({ code: result?.code, stdout: result?.stdout, stderr: result?.stderr }).toEqual({ code: 0, stdout: expect.any(String), stderr: expect.any(String) });
    if (snippet.name === 'readme-1') {
      // The history it prints holds the startup resync and the pod's change.
      expect(result?.stdout).toContain('Database Resync');
      expect(result?.stdout).toContain('Kubernetes State Change');
    }
  });
});
