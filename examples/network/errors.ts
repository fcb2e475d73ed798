import { ControllerError } from '../../src';

/** The options of the network handlers do not describe a usable address plan. */
export class InvalidNetworkOptionsError extends ControllerError {}

/** The node's pod subnet has no free address left. */
export class IpamExhaustedError extends ControllerError {
  constructor(readonly subnet: string, readonly pods: readonly string[]) {
    super(`no free address left in ${subnet} for ${pods.join(', ')}`);
  }
}

/** A pod has no address from IPAM (IPAM must be registered before the pod network). */
export class PodAddressMissingError extends ControllerError {
  constructor(readonly pod: string) {
    super(`pod ${pod} has no address from IPAM`);
  }
}

/** The pod network's MTU is above what the service NAT handles: a RevertOnFailure refusal. */
export class MtuRefusedError extends ControllerError {
  constructor(readonly mtu: number, readonly max: number) {
    super(`service NAT cannot translate frames of MTU ${mtu} (max ${max})`);
  }
}

/** The demo scenario cannot go on (a timeout, or an agent not set up as the scenario needs). */
export class ScenarioError extends ControllerError {}
