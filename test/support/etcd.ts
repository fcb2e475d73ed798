import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real etcd for integration tests: started from the `etcd` binary on free loopback ports
 * with a temporary data directory. Each test file starts its own in beforeAll and stops it in
 * afterAll. A missing binary fails the test (it is never skipped).
 */

const INSTALL_HINT = 'run scripts/install-test-deps.sh (it installs Debian\'s etcd-server) or put an etcd binary on PATH';

/** The path of the etcd binary: $ETCD_BIN, else `etcd` on PATH; throws naming the install script. */
export function findEtcdBinary(): string {
  const explicit = process.env.ETCD_BIN;
  const candidate = explicit && explicit !== '' ? explicit : 'etcd';
  const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(`etcd is required by this test but "${candidate}" cannot be run: ${INSTALL_HINT}`);
  }
  return candidate;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; released before etcd binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function healthy(clientUrl: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${clientUrl}/health`, { timeout: 1000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** etcd preallocates 64 MB per WAL file: a small /dev/shm (a container's 64 MB) would fill up. */
const MIN_FREE_SHM_BYTES = 1024 ** 3;

/**
 * Where test etcds keep their data: in memory (/dev/shm) when the machine has room there. etcd
 * syncs its log to disk on every write; in full test runs two suites that put 10,000 keys took
 * 75 s each against 5-8 s alone, and 5-6 s with the same etcd in /dev/shm: the disk, shared with
 * the other suites, made them slow (an npm install or a 4 GB write beside one suite alone did not
 * show which of them). The server is the same real etcd; only its disk is RAM.
 */
function dataRoot(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    const { bavail, bsize } = statfsSync('/dev/shm');
    if (bavail * bsize >= MIN_FREE_SHM_BYTES) return '/dev/shm';
  } catch {
    // no /dev/shm here: the temporary directory
  }
  return tmpdir();
}

export class EtcdTestServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output: string[] = [];

  private constructor(
    private readonly binary: string,
    readonly clientPort: number,
    readonly peerPort: number,
    readonly dataDir: string,
  ) {}

  /** Starts etcd and waits until it answers its health endpoint. */
  static async start(): Promise<EtcdTestServer> {
    const binary = findEtcdBinary();
    const server = new EtcdTestServer(binary, await freePort(), await freePort(), mkdtempSync(join(dataRoot(), 'etcd-test-')));
    try {
      await server.launch();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** "127.0.0.1:<port>", for EtcdStore's endpoints. */
  get endpoint(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get clientUrl(): string {
    return `http://${this.endpoint}`;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  private async launch(): Promise<void> {
    const peerUrl = `http://127.0.0.1:${this.peerPort}`;
    const child = spawn(
      this.binary,
      [
        '--name', 'test',
        '--data-dir', this.dataDir,
        '--listen-client-urls', this.clientUrl,
        '--advertise-client-urls', this.clientUrl,
        '--listen-peer-urls', peerUrl,
        '--initial-advertise-peer-urls', peerUrl,
        '--initial-cluster', `test=${peerUrl}`,
        '--initial-cluster-state', 'new',
        '--logger', 'zap',
        '--log-level', 'warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString('utf8'));
      if (this.output.length > 50) this.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    let alive = true;
    void this.exited.then(() => {
      alive = false;
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (!alive) throw new Error(`etcd exited during startup:\n${this.output.join('')}`);
      if (await healthy(this.clientUrl)) return;
      await delay(100);
    }
    throw new Error(`etcd did not answer on ${this.clientUrl} within 30 s:\n${this.output.join('')}`);
  }

  /** SIGKILL: etcd dies at once, as in a crash; the data directory stays. */
  async kill(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, keeping the data directory (etcd is down until `restart()`). */
  async terminate(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGTERM');
    await this.exited;
  }

  /** Starts etcd again on the same ports and data directory. */
  async restart(): Promise<void> {
    if (this.child) throw new Error('etcd is still running');
    await this.launch();
  }

  /** SIGTERM (SIGKILL after 5 s), then removes the data directory. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
