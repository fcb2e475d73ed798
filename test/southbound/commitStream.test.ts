import * as grpc from '@grpc/grpc-js';
import { southboundRpcs } from '../../src/southbound/grpc/protocol';
import type { WireCommitRequest, WireCommitResponse } from '../../src/southbound/grpc/wire';
import type { SouthboundServer } from '../../src/southbound/agent/server';
import { connect, iface, startServer, txn, waitFor } from './helpers';
import { AnyCodec } from '../../src/southbound/grpc/anyCodec';


const COMMIT = (): ReturnType<typeof southboundRpcs>['commit'] => southboundRpcs().commit;

describe('the Commit stream', () => {
  let server: SouthboundServer;
  let raw: grpc.Client;
  const codec = new AnyCodec();

  beforeEach(async () => {
    server = await startServer();
    raw = new grpc.Client(server.address, grpc.credentials.createInsecure());
  });
  afterEach(async () => {
    raw.close();
    await server.stop();
  });

  function open(): { call: grpc.ClientWritableStream<WireCommitRequest>; response: Promise<WireCommitResponse> } {
    let call!: grpc.ClientWritableStream<WireCommitRequest>;
    const response = new Promise<WireCommitResponse>((resolve, reject) => {
      call = raw.makeClientStreamRequest(COMMIT().path, COMMIT().serialize, COMMIT().deserialize, new grpc.Metadata(), {}, (error, value) =>
        error || !value ? reject(error) : resolve(value),
      );
    });
    return { call, response };
  }

  const header = (valueCount: number): WireCommitRequest => ({
    header: { options: { resyncType: 'NOT_RESYNC', verbose: false, retry: null, revertOnFailure: false, description: 'raw' }, valueCount },
  });

  it('applies nothing when the stream is cut before the client half-closes, even with every value sent', async () => {
    const { call, response } = open();
    call.write(header(2));
    call.write({ batch: { values: [{ key: 'a', value: codec.pack('a', iface('a')) }, { key: 'b', value: codec.pack('b', iface('b')) }] } });
    await waitFor(() => server.stats.batchesReceived === 2, 15_000, 'the batches to reach the server');
    call.cancel();
    await expect(response).rejects.toMatchObject({ code: grpc.status.CANCELLED });
    await waitFor(() => server.stats.streamsAborted === 1, 15_000, 'the server to see the cut');
    expect(server.stats.commitsApplied).toBe(0);
    expect(server.engine.dump()).toEqual([]);
    expect(server.engine.recordedTxns()).toEqual([]);
  });

  it('refuses a stream whose value count does not match its header (init error, no sequence number)', async () => {
    const { call, response } = open();
    call.write(header(2));
    call.write({ batch: { values: [{ key: 'a', value: codec.pack('a', iface('a')) }] } });
    call.write({ end: {} });
    call.end();
    const result = await response;
    expect(result.seqNum).toBeUndefined();
    expect(result.initError).toMatch(/carried 1 values/);
    expect(server.engine.dump()).toEqual([]);
  });

  it('refuses a stream without a header', async () => {
    const { call, response } = open();
    call.write({ batch: { values: [] } });
    call.write({ end: {} });
    call.end();
    await expect(response).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
  });

  it('applies nothing when the client half-closes without the end marker', async () => {
    const { call, response } = open();
    call.write(header(1));
    call.write({ batch: { values: [{ key: 'a', value: codec.pack('a', iface('a')) }] } });
    call.end();
    await expect(response).rejects.toMatchObject({ code: grpc.status.ABORTED });
    expect(server.stats.streamsAborted).toBe(1);
    expect(server.engine.dump()).toEqual([]);
  });

  it('splits a commit into ~1 MiB messages', async () => {
    const client = connect(server, { maxBatchBytes: 64 * 1024 });
    try {
      const values = Array.from({ length: 5000 }, (_, i): [string, ReturnType<typeof iface>] => [`k/${i}`, iface(`if-${i}`)]);
      await client.commit(txn(values));
      // header + several batches
      expect(server.stats.batchesReceived).toBeGreaterThan(3);
      expect(server.engine.dump()).toHaveLength(5000);
    } finally {
      await client.close();
    }
  });
});
