import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataDirLockedError, StoreUnavailableError } from './errors';

/** The lock file of an agent in its data directory; it holds the agent's pid. */
export const LOCK_FILE = 'agent.pid';

/** Lock files held by this process: its own pid in a file is a live lock only when listed here. */
const HELD = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One agent per data directory: a pid file created exclusively, held for the agent's lifetime.
 * A file left by a dead process (or by an earlier process that had this pid, as pid 1 in a
 * container) is stale and taken over; a live holder makes `acquire` throw `DataDirLockedError`.
 */
export class DataDirLock {
  private released = false;

  private constructor(readonly path: string) {}

  static acquire(dataDir: string): DataDirLock {
    const path = resolve(join(dataDir, LOCK_FILE));
    try {
      mkdirSync(dataDir, { recursive: true });
    } catch (cause) {
      throw new StoreUnavailableError(`data directory ${dataDir}`, 'create', cause);
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      let fd: number;
      try {
        fd = openSync(path, 'wx');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new StoreUnavailableError(path, 'lock', error);
        const holder = holderOf(path);
        const live = holder !== undefined && (holder === process.pid ? HELD.has(path) : alive(holder));
        if (live) throw new DataDirLockedError(dataDir, holder);
        try {
          unlinkSync(path);
        } catch {
          // Another process took it over first: try again.
        }
        continue;
      }
      try {
        writeSync(fd, `${process.pid}\n`);
      } finally {
        closeSync(fd);
      }
      HELD.add(path);
      return new DataDirLock(path);
    }
    throw new DataDirLockedError(dataDir, holderOf(path) ?? 0);
  }

  /** Removes the lock file (if it is still this process's). */
  release(): void {
    if (this.released) return;
    this.released = true;
    HELD.delete(this.path);
    if (holderOf(this.path) === process.pid) {
      try {
        unlinkSync(this.path);
      } catch {
        // Already gone.
      }
    }
  }
}
