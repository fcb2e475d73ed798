/**
 * Key layout of the reflector (KSR) and of the agents in the key-value store, as in the original:
 *   /vnf-agent/contiv-ksr/k8s/<resource>/<name>/namespace/<namespace>   (kube state)
 *   /vnf-agent/<agent-label>/<suffix>                                   (external config)
 * Kube state keys inside events and DBResync are relative to the KSR prefix (`k8s/pod/...`),
 * external config keys are the suffix after the agent prefix.
 */

/** Where the reflector writes the Kubernetes state. */
export const KSR_PREFIX = '/vnf-agent/contiv-ksr/';

/** Root of every built-in resource prefix, relative to `KSR_PREFIX`. */
export const KUBE_STATE_ROOT = 'k8s/';

const AGENT_ROOT = '/vnf-agent/';

/** The prefix of an agent's external config. */
export function agentPrefix(agentLabel: string): string {
  if (agentLabel === '' || agentLabel.includes('/')) {
    throw new RangeError(`invalid agent label "${agentLabel}": must be non-empty and contain no "/"`);
  }
  return `${AGENT_ROOT}${agentLabel}/`;
}

/** `<keyPrefix><name>[/namespace/<namespace>]`, the reflector's key of one object. */
export function objectKey(keyPrefix: string, name: string, namespace?: string): string {
  if (name === '' || name.includes('/')) throw new RangeError(`invalid object name "${name}"`);
  if (namespace === undefined || namespace === '') return `${keyPrefix}${name}`;
  if (namespace.includes('/')) throw new RangeError(`invalid namespace "${namespace}"`);
  return `${keyPrefix}${name}/namespace/${namespace}`;
}

/** The part of `key` after `prefix`, or undefined when `key` is not under it. */
export function stripPrefix(key: string, prefix: string): string | undefined {
  return key.startsWith(prefix) ? key.slice(prefix.length) : undefined;
}
