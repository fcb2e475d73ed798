/**
 * Builds the agent's web dashboard into dist/dashboard (part of `npm run build`): the page's
 * script bundled by esbuild (Preact, no CDN: everything ships with the package), its stylesheet,
 * its HTML, and the controller machine's diagram laid out from machines/controller.machine.ts.
 * The agent serves these files (src/agent/dashboard/assets.ts).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { machineGraph } from '../src/agent/dashboard/machineGraph';
import { packageRoot } from '../src/packageRoot';
import { controllerMachine } from '../machines/controller.machine';
import { layoutMachine } from './dashboard/machineLayout';

export async function buildDashboard(outDir = join(packageRoot(), 'dist', 'dashboard')): Promise<void> {
  const source = join(packageRoot(), 'dashboard');
  mkdirSync(outDir, { recursive: true });
  const common = { bundle: true, minify: true, legalComments: 'linked', logLevel: 'warning' } as const;
  await build({
    ...common,
    entryPoints: [join(source, 'src', 'main.tsx')],
    outfile: join(outDir, 'app.js'),
    minify: true,
    format: 'esm',
    // The Chromium of Debian 12 and any browser of the last few years.
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
  });
  await build({ ...common, entryPoints: [join(source, 'styles.css')], outfile: join(outDir, 'app.css') });
  copyFileSync(join(source, 'index.html'), join(outDir, 'index.html'));
  // The bundle carries Preact (MIT): its notice ships beside it.
  copyFileSync(join(packageRoot(), 'node_modules', 'preact', 'LICENSE'), join(outDir, 'THIRD-PARTY-LICENSES.preact.txt'));
  const diagram = await layoutMachine(machineGraph(controllerMachine));
  writeFileSync(join(outDir, 'machine.json'), `${JSON.stringify(diagram)}\n`);
}

if (require.main === module) {
  buildDashboard().catch((error: unknown) => {
    console.error('build-dashboard failed:', error);
    process.exit(1);
  });
}
