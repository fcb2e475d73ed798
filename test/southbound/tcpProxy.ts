import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP relay on 127.0.0.1 in front of the southbound: the test can hold back what the client
 * sends after some bytes (so a transaction stays half sent), and cut every connection.
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly flushes = new Set<() => void>();
  private upstreamBudget = Infinity;
  /** Bytes relayed from the client to the southbound so far. */
  upstreamBytes = 0;

  private constructor(private readonly targetPort: number) {
    this.server = createServer((client) => this.relay(client));
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get address(): string {
    const address = this.server.address();
    if (!address || typeof address === 'string') throw new Error('proxy not listening');
    return `127.0.0.1:${address.port}`;
  }

  /** From now on, relays at most `bytes` more from the client; the rest waits. */
  holdUpstreamAfter(bytes: number): void {
    this.upstreamBudget = this.upstreamBytes + bytes;
  }

  /** Relays what was held back, and everything from now on. */
  release(): void {
    this.upstreamBudget = Infinity;
    for (const flush of this.flushes) flush();
  }

  /** Destroys every connection: both ends see it drop. */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    const upstream = connect(this.targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const held: Buffer[] = [];
    const flush = (): void => {
      for (const chunk of held.splice(0)) {
        this.upstreamBytes += chunk.length;
        upstream.write(chunk);
      }
    };
    this.flushes.add(flush);
    client.on('close', () => this.flushes.delete(flush));
    client.on('data', (chunk: Buffer) => {
      const room = this.upstreamBudget - this.upstreamBytes;
      if (room <= 0) {
        held.push(chunk);
        return;
      }
      const sent = chunk.length <= room ? chunk : chunk.subarray(0, room);
      this.upstreamBytes += sent.length;
      upstream.write(sent);
      if (sent !== chunk) held.push(chunk.subarray(sent.length));
    });
  }
}
