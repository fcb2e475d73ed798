/**
 * Headless Chromium for the dashboard's browser tests and its screenshot script: Debian's
 * `chromium` driven by playwright-core (no browser download). The flags keep Chromium off the
 * network: this machine's closed network refuses its background connections otherwise.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { ControllerError } from '../../src/api/errors';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Chromium is not installed where expected. */
export class ChromiumMissingError extends ControllerError {
  constructor(readonly path: string) {
    super(`Chromium not found at ${path}: install Debian's chromium ("bash scripts/install-test-deps.sh", or "apt-get install chromium"), or set CHROMIUM_PATH`);
  }
}

export interface HeadlessChromium {
  /** One browser; each `newPage()` is a fresh tab (its own sessionStorage). */
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Starts Chromium on a fresh profile directory (removed on close). */
export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<HeadlessChromium> {
  if (!existsSync(CHROMIUM_PATH)) throw new ChromiumMissingError(CHROMIUM_PATH);
  const profile = mkdtempSync(join(tmpdir(), 'dashboard-chromium-'));
  try {
    // A persistent context is how playwright takes a --user-data-dir of our choosing.
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport,
      timeout: 60_000,
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}
