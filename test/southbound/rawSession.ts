import * as grpc from '@grpc/grpc-js';
import * as protobuf from 'protobufjs';
import { PROTO_PACKAGE, sessionPath, southboundProtoPath } from '../../src/southbound/grpc/protocol';
import { decodeSessionResponse, type SessionResponseMessage } from '../../src/southbound/grpc/sessionCodec';
import type { SouthboundServer } from '../../src/southbound/agent/server';
import type { ProtoMessage } from '../../src/api/types';
import { waitFor } from './helpers';

/** Requests encoded with protobufjs from the .proto: an independent check of the client's hand-written encoder. */
const root = new protobuf.Root().loadSync(southboundProtoPath(), { keepCase: false });
const SessionRequest = root.lookupType(`${PROTO_PACKAGE}.SessionRequest`);

export interface RawPart {
  txnId: number;
  begin?: { options?: { resyncType?: number; description?: string }; valueCount: number; record?: boolean; readsValueNumbers?: boolean };
  values?: { key: string; value?: { type_url: string; value: Uint8Array } }[];
  end?: boolean;
}

/** A Session stream driven by hand, to break the protocol on purpose. */
export class RawSession {
  readonly received: SessionResponseMessage[] = [];
  readonly status: Promise<grpc.StatusObject>;
  private readonly client: grpc.Client;
  private readonly call: grpc.ClientDuplexStream<Buffer, SessionResponseMessage>;

  constructor(server: SouthboundServer) {
    this.client = new grpc.Client(server.address, grpc.credentials.createInsecure());
    this.call = this.client.makeBidiStreamRequest(sessionPath(), (b: Buffer) => b, decodeSessionResponse, new grpc.Metadata(), {});
    this.call.on('data', (message: SessionResponseMessage) => this.received.push(message));
    this.call.on('error', () => undefined);
    this.status = new Promise((resolve) => this.call.on('status', resolve));
  }

  send(part: RawPart): void {
    this.call.write(SessionRequest.encode(SessionRequest.fromObject(part)).finish() as Buffer);
  }

  halfClose(): void {
    this.call.end();
  }

  cancel(): void {
    this.call.cancel();
  }

  async hello(): Promise<string> {
    return waitFor(() => this.received.find((m) => m.hello)?.hello?.instanceId, 'the hello', 15_000);
  }

  async result(txnId: number): Promise<NonNullable<SessionResponseMessage['result']>> {
    return waitFor(() => this.received.find((m) => m.result?.txnId === txnId)?.result, `the result of ${txnId}`, 15_000);
  }

  close(): void {
    this.call.cancel();
    this.client.close();
  }
}

/** A KeyValue of a test message. */
export function keyValue(key: string, message: ProtoMessage): { key: string; value: { type_url: string; value: Uint8Array } } {
  const type = (message as unknown as { $type: protobuf.Type }).$type;
  return { key, value: { type_url: `type.googleapis.com/${type.fullName.replace(/^\./, '')}`, value: type.encode(message).finish() } };
}
