import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { packageRoot } from '../../src/packageRoot';

/**
 * What the packaging tests share: the package as `npm pack` makes it, installed into fresh
 * projects in a temp dir the way a user installs it (from npm's cache where it can), and child
 * processes to run things there.
 */

export const ROOT = packageRoot();
export const PACKAGE = 'contiv-controller-ts';
export const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (never through a shell); rejects only when it cannot start. */
export function run(command: string, args: readonly string[], options: { cwd: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, env: options.env ?? process.env },
      (error, stdout, stderr) => {
        if (error && typeof error.code === 'string') reject(error);
        else resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

/** Runs a command that must succeed; the error shows its output. */
export async function runOk(command: string, args: readonly string[], options: Parameters<typeof run>[2]): Promise<string> {
  const result = await run(command, args, options);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

function newestSource(dir: string): { file: string; mtimeMs: number } {
  let newest = { file: '', mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const found = entry.isDirectory() ? newestSource(path) : entry.name.endsWith('.ts') ? { file: path, mtimeMs: statSync(path).mtimeMs } : newest;
    if (found.mtimeMs > newest.mtimeMs) newest = found;
  }
  return newest;
}

/** The packaging tests pack dist as built (`npm test` builds first): a missing or stale build is a clear failure. */
export function assertBuilt(): void {
  const built = join(ROOT, 'dist', 'src', 'index.js');
  let builtAt: number;
  try {
    builtAt = statSync(built).mtimeMs;
  } catch {
    throw new Error(`${built} is missing: run \`npm run build\` first (npm test does)`);
  }
  for (const dir of ['src', 'actors', 'machines', 'examples']) {
    const newest = newestSource(join(ROOT, dir));
    if (newest.mtimeMs > builtAt) throw new Error(`dist is older than ${newest.file}: run \`npm run build\` first (npm test does)`);
  }
}

/** `npm pack` of the working tree into `dir` (scripts skipped: the build is already there). */
export async function pack(dir: string): Promise<{ tarball: string; files: string[] }> {
  const stdout = await runOk('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT });
  const [result] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  if (!result) throw new Error(`npm pack printed no result: ${stdout}`);
  return { tarball: join(dir, result.filename), files: result.files.map((f) => f.path) };
}

/** The version this repository locks for a package, so that a consumer install finds it in npm's cache. */
export function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (!version) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

/**
 * The working tree as it is (tracked and new files, nothing .gitignore names: no dist, no
 * node_modules) committed in a repository of its own at `repo`, for `npm install git+file://`.
 */
export async function gitSnapshot(repo: string): Promise<string> {
  const listed = await runOk('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT });
  for (const file of listed.split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)))) {
    mkdirSync(dirname(join(repo, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(repo, file));
  }
  const git = (...args: string[]) => runOk('git', ['-c', 'user.name=test', '-c', 'user.email=test@localhost', ...args], { cwd: repo });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'the working tree');
  return `git+file://${repo}`;
}

export type ModuleKind = 'esm' | 'cjs';

/**
 * A fresh project in `dir` (ES module or CommonJS, as `npm init` plus `"type"`) with `specs`
 * installed as a user would (`npm install --prefer-offline`), and a tsconfig for `nodenext`.
 * It allows the package's install scripts: npm 11 runs a git dependency's `prepare` only then.
 */
export async function freshProject(dir: string, kind: ModuleKind, specs: readonly string[]): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const manifest = { name: `${kind}-consumer`, version: '1.0.0', private: true, ...(kind === 'esm' && { type: 'module' }), allowScripts: { [PACKAGE]: true } };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    `${JSON.stringify(
      { compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, outDir: 'out', types: ['node'] } },
      null,
      2,
    )}\n`,
  );
  await runOk('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], { cwd: dir, timeoutMs: 300_000 });
  return dir;
}

/** The packages every consumer of the tests installs beside the package: its peer and what the docs' programs import. */
export function consumerDependencies(): string[] {
  return ['protobufjs', 'pino', '@types/node', '@xstate/graph'].map((name) => `${name}@${lockedVersion(name)}`);
}
