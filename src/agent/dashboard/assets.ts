import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControllerError } from '../../api/errors';
import { packageRoot } from '../../packageRoot';

/** The page's files as `npm run build` writes them (scripts/build-dashboard.ts). */
export const DASHBOARD_ASSET_FILES = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'machine.json': 'application/json; charset=utf-8',
} as const;

export type DashboardAssetName = keyof typeof DASHBOARD_ASSET_FILES;

/** The dashboard's built files are missing or unreadable. */
export class DashboardAssetsError extends ControllerError {}

export interface DashboardAsset {
  body: Buffer;
  contentType: string;
}

/** Where the build puts the page: dist/dashboard under the package root. */
export function defaultAssetsDir(): string {
  return join(packageRoot(), 'dist', 'dashboard');
}

/**
 * Reads the page's files into memory: they are small, and serving only this fixed set leaves no
 * path for a request to walk out of the folder.
 */
export function loadDashboardAssets(dir: string = defaultAssetsDir()): Map<DashboardAssetName, DashboardAsset> {
  const assets = new Map<DashboardAssetName, DashboardAsset>();
  for (const [name, contentType] of Object.entries(DASHBOARD_ASSET_FILES) as [DashboardAssetName, string][]) {
    try {
      assets.set(name, { body: readFileSync(join(dir, name)), contentType });
    } catch (cause) {
      throw new DashboardAssetsError(`the dashboard's ${name} is missing from ${dir}: run "npm run build"`, { cause });
    }
  }
  return assets;
}
