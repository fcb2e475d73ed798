import * as grpc from '@grpc/grpc-js';
import type { KeyOperation } from '../../api/errors';
import { callMetadata, channelCredentials, channelOptions, deadlineIn, type ClientTlsOptions } from './channel';
import { operationToWire } from './convert';
import { SouthboundCallError, grpcCode } from './errors';
import type { PackedValue } from './model';
import { southboundRpcs, type RpcMethod } from './protocol';

type InstanceResponse = { instanceId: string };

/** Client of the reference agent's SouthboundAdmin service (fault injection, dataplane drift). */
export class SouthboundAdminClient {
  private readonly client: grpc.Client;

  constructor(private readonly options: { address: string; tls?: ClientTlsOptions; token?: string; callDeadlineMs?: number }) {
    this.client = new grpc.Client(options.address, channelCredentials(options.tls), channelOptions(options.tls, undefined));
  }

  /** Makes operations on keys matching `keyPattern` fail `times` times (0 = always); resolves to the rule's id. */
  async injectFault(rule: { keyPattern: string; operations?: KeyOperation[]; times?: number; error?: string }): Promise<number> {
    const response = await this.call('InjectFault', southboundRpcs().injectFault, {
      keyPattern: rule.keyPattern,
      operations: (rule.operations ?? []).map(operationToWire),
      times: rule.times ?? 0,
      error: rule.error ?? '',
    });
    return response.faultId;
  }

  async removeFault(faultId: number): Promise<void> {
    await this.call('RemoveFault', southboundRpcs().removeFault, { faultId });
  }

  async clearFaults(): Promise<void> {
    await this.call('ClearFaults', southboundRpcs().clearFaults, {});
  }

  /** Changes the simulated dataplane behind the scheduler's back. */
  async drift(change: { removeKeys?: string[]; putValues?: { key: string; value: PackedValue }[] }): Promise<void> {
    await this.call('Drift', southboundRpcs().drift, { removeKeys: change.removeKeys ?? [], putValues: change.putValues ?? [] });
  }

  close(): void {
    this.client.close();
  }

  private call<Req, Res extends InstanceResponse>(name: string, method: RpcMethod<Req, Res>, request: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      const options = { deadline: deadlineIn(this.options.callDeadlineMs ?? 10_000) };
      this.client.makeUnaryRequest(method.path, method.serialize, method.deserialize, request, callMetadata(this.options.token), options, (error, response) =>
        error || !response ? reject(new SouthboundCallError(name, grpcCode(error), error)) : resolve(response),
      );
    });
  }
}
