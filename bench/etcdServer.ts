import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchRunError } from './errors';

/**
 * A real etcd for the `etcd` row, as the tests start one (test/support/etcd.ts): the `etcd`
 * binary ($ETCD_BIN, else on PATH) on free loopback ports, with a temporary data directory.
 */

/** etcd cannot be run or did not come up. */
export class EtcdUnavailableError extends BenchRunError {}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function healthy(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    return response.status === 200 && (await response.text()).includes('"health":"true"');
  } catch {
    return false;
  }
}

export interface EtcdServer {
  /** host:port, for EtcdStore and `--etcd-endpoints`. */
  endpoint: string;
  /** Of the etcd process, for its CPU time. */
  pid: number | undefined;
  stop(): Promise<void>;
}

export async function startEtcd(): Promise<EtcdServer> {
  const binary = process.env.ETCD_BIN || 'etcd';
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new EtcdUnavailableError(`"${binary}" cannot be run: run scripts/install-test-deps.sh (Debian's etcd-server) or set ETCD_BIN`);
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-etcd-'));
  const clientUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  // etcd's flags: name, data dir, client and peer URLs, a one-member cluster.
  const args = ['--name', 'bench', '--data-dir', dataDir, '--listen-client-urls', clientUrl, '--advertise-client-urls', clientUrl];
  args.push('--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl, '--initial-cluster', `bench=${peerUrl}`, '--log-level', 'warn');
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while (!(await healthy(clientUrl))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new EtcdUnavailableError(`etcd did not come up on ${clientUrl}: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { endpoint: `127.0.0.1:${clientPort}`, pid: child.pid, stop };
}
