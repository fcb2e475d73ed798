/**
 * `npm install git+file://...` of the working tree, as a user installs from git: npm clones it,
 * installs its dev dependencies and runs `prepare` (the build), then installs what `files`
 * selects. npm 11 runs a git dependency's `prepare` only when the project allows it
 * (`allowScripts`), which the test does as docs/embedding.md tells users to.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PACKAGE, ROOT, runOk } from './packedInstall';

let dir: string;
let app: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'git-install-'));
  // The working tree as it is (tracked and new files, not what .gitignore names) in a repository of its own.
  const repo = join(dir, 'repo');
  const listed = await runOk('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT });
  for (const file of listed.split('\0').filter((f) => f !== '' && existsSync(join(ROOT, f)))) {
    mkdirSync(dirname(join(repo, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(repo, file));
  }
  const git = (...args: string[]) => runOk('git', ['-c', 'user.name=test', '-c', 'user.email=test@localhost', ...args], { cwd: repo });
  await git('init', '-q');
  await git('add', '-A');
  await git('commit', '-q', '-m', 'the working tree');

  app = join(dir, 'app');
  mkdirSync(app);
  const manifest = { name: 'git-consumer', version: '1.0.0', private: true, allowScripts: { [PACKAGE]: true } };
  writeFileSync(join(app, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await runOk('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `git+file://${repo}`], { cwd: app, timeoutMs: 540_000 });
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a git install builds dist through prepare: the package loads and npx contivctl runs the installed bin', async () => {
  const loaded = await runOk(process.execPath, ['-e', `console.log(typeof require(${JSON.stringify(PACKAGE)}).createController)`], { cwd: app });
  expect(loaded.trim()).toBe('function');
  expect(existsSync(join(app, 'node_modules', PACKAGE, 'dist', 'dashboard', 'index.html'))).toBe(true);
  expect(await runOk('npx', ['--no-install', 'contivctl', '--version'], { cwd: app })).toMatch(/^contivctl \d+\.\d+\.\d+/);
});
