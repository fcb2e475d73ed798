import * as grpc from '@grpc/grpc-js';
import { operationFromWire } from '../grpc/convert';
import type { WireDriftRequest, WireFaultRule } from '../grpc/wire';
import type { KeyOperation } from '../../api/errors';
import type { SchedulerEngine } from './scheduler';

/** The SouthboundAdmin service: fault injection and dataplane drift for tests and demos. */
export function adminService(engine: SchedulerEngine): grpc.UntypedServiceImplementation {
  const instanceId = engine.instanceId;
  const injectFault: grpc.handleUnaryCall<WireFaultRule, { instanceId: string; faultId: number }> = (call, callback) => {
    const rule = call.request;
    let faultId: number;
    try {
      faultId = engine.faults.add({
        key: rule.keyPattern,
        operations: rule.operations.map(operationFromWire).filter((op): op is KeyOperation => op !== undefined),
        times: rule.times,
        error: rule.error || undefined,
      });
    } catch (error) {
      callback({ code: grpc.status.INVALID_ARGUMENT, details: `invalid fault rule: ${error instanceof Error ? error.message : String(error)}` });
      return;
    }
    callback(null, { instanceId, faultId });
  };
  const removeFault: grpc.handleUnaryCall<{ faultId: number }, { instanceId: string }> = (call, callback) => {
    engine.faults.remove(call.request.faultId);
    callback(null, { instanceId });
  };
  const clearFaults: grpc.handleUnaryCall<unknown, { instanceId: string }> = (_call, callback) => {
    engine.faults.clear();
    callback(null, { instanceId });
  };
  const drift: grpc.handleUnaryCall<WireDriftRequest, { instanceId: string }> = (call, callback) => {
    const putValues = call.request.putValues.flatMap((kv) => (kv.value ? [{ key: kv.key, value: kv.value }] : []));
    engine.dataplane.drift({ removeKeys: call.request.removeKeys, putValues });
    callback(null, { instanceId });
  };
  const implementation = { InjectFault: injectFault, RemoveFault: removeFault, ClearFaults: clearFaults, Drift: drift };
  return implementation as unknown as grpc.UntypedServiceImplementation;
}
