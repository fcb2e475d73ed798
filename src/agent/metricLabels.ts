import { DBResync } from '../api/events/dbResync';
import { ExternalConfigChange } from '../api/events/externalConfigChange';
import { ExternalConfigResync } from '../api/events/externalConfigResync';
import { HealingResync } from '../api/events/healingResync';
import { KubeStateChange } from '../api/events/kubeStateChange';
import { Shutdown } from '../api/events/shutdown';
import { VerificationResync } from '../api/events/verificationResync';

/** The label of the built-in events, by their `getName()`. */
const BUILT_IN_EVENTS: ReadonlyMap<string, string> = new Map([
  [DBResync.eventName, 'db_resync'],
  [KubeStateChange.eventName, 'kube_state_change'],
  [ExternalConfigChange.eventName, 'external_config_change'],
  [ExternalConfigResync.eventName, 'external_config_resync'],
  [HealingResync.eventName, 'healing_resync'],
  [Shutdown.eventName, 'shutdown'],
  [VerificationResync.eventName, 'verification_resync'],
]);

/** Distinct labels of user-defined events; more fold into `other`. */
export const DEFAULT_MAX_EVENT_LABELS = 30;
export const OTHER_EVENT_LABEL = 'other';

/** `Pod MTU Change`, `PodMtuChange` -> `pod_mtu_change`: lower case, one `_` between words, at most 60 characters. */
export function snakeLabel(name: string): string {
  const snake = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60);
  return snake === '' ? 'unnamed' : snake;
}

/**
 * The `event` label of an event name: a fixed word for the built-in events
 * (`kube_state_change`), snake case for the user's own, and `other` for any name beyond the
 * first `maxLabels` distinct ones, so that a handler pushing events with generated names cannot
 * make the metrics grow without bound.
 */
export class EventLabels {
  private readonly custom = new Map<string, string>();

  constructor(private readonly maxLabels = DEFAULT_MAX_EVENT_LABELS) {}

  of(name: string): string {
    const builtIn = BUILT_IN_EVENTS.get(name);
    if (builtIn !== undefined) return builtIn;
    const known = this.custom.get(name);
    if (known !== undefined) return known;
    if (this.custom.size >= this.maxLabels) return OTHER_EVENT_LABEL;
    const label = snakeLabel(name);
    this.custom.set(name, label);
    return label;
  }
}
