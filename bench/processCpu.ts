import { readFileSync } from 'node:fs';

/** Linux reports process times in clock ticks of 1/100 s (USER_HZ, fixed by the kernel's ABI). */
const TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat;
 * undefined where there is no /proc or the process is gone. For another process of the run
 * (etcd, the agent): this process reads its own with `process.cpuUsage()`.
 */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: count fields after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / TICKS_PER_SECOND : undefined;
}

/** CPU seconds this process has used so far (all threads). */
export function ownCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** CPU seconds used by this process (`self`) and by other processes, by the names they were given. */
export type CpuUse<Name extends string> = { self: number } & Record<Name, number | undefined>;

/**
 * Starts counting the CPU time of this process and of `pids`; the returned function gives what
 * each used since (undefined for a process whose times cannot be read).
 */
export function cpuMeter<Name extends string>(pids: Readonly<Record<Name, number | undefined>>): () => CpuUse<Name> {
  const names = Object.keys(pids) as Name[];
  const own = ownCpuSeconds();
  const before = names.map((name) => processCpuSeconds(pids[name]));
  return () => {
    const used = { self: ownCpuSeconds() - own } as CpuUse<Name>;
    names.forEach((name, i) => {
      const now = processCpuSeconds(pids[name]);
      const then = before[i];
      (used as Record<Name, number | undefined>)[name] = now === undefined || then === undefined ? undefined : now - then;
    });
    return used;
  };
}
