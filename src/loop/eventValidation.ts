import type { Event } from '../api/event';
import { DBResync } from '../api/events/dbResync';
import { ExternalConfigChange } from '../api/events/externalConfigChange';
import { ExternalConfigResync } from '../api/events/externalConfigResync';
import { KubeStateChange } from '../api/events/kubeStateChange';
import { InvalidEventError, describeThrown } from '../api/errors';
import type { ProtoMessage } from '../api/types';
import { Type } from 'protobufjs/light';
import { messageType, typeName } from '../protobuf/merge';
import type { ConfigState } from './configState';

/** What every event has (checked for each event pushed). */
const EVENT_METHODS = ['getName', 'toString', 'method', 'isBlocking', 'done'] as const;

/** Throws InvalidEventError unless `event` implements Event. */
export function checkEvent(event: unknown): asserts event is Event {
  const candidate = event as Partial<Event> | null;
  for (const method of EVENT_METHODS) {
    if (typeof candidate?.[method] !== 'function') throw new InvalidEventError(`not an Event: ${method}() is missing`);
  }
}

/** Throws InvalidEventError unless `value` is a protobufjs message or null; `what` names it in the error. */
function checkValue(what: string, value: unknown): void {
  if (value === null || isMessage(value)) return;
  try {
    messageType(value, what);
  } catch (error) {
    throw new InvalidEventError(describeThrown(error), { cause: error });
  }
}

function isMessage(value: unknown): boolean {
  return (value as { $type?: unknown } | null | undefined)?.$type instanceof Type;
}

function checkKeyValues(what: string, values: unknown): Map<string, ProtoMessage | null> {
  if (!(values instanceof Map)) throw new InvalidEventError(`${what} must be a Map of key -> protobuf message (or null), not ${describeThrown(values)}`);
  for (const [key, value] of values as Map<unknown, unknown>) {
    if (typeof key !== 'string' || key === '') throw new InvalidEventError(`${what} has an invalid key ${describeThrown(key)}`);
    if (value !== null && !isMessage(value)) checkValue(`${what}: value of "${key}"`, value);
  }
  return values as Map<string, ProtoMessage | null>;
}

/**
 * A value of a key whose message type is already known (from the internal config or another
 * source) must have that type: protobuf merge cannot combine messages of different types.
 */
function checkExternalType(state: ConfigState, source: string, key: string, value: ProtoMessage | null): void {
  if (!value) return;
  const known = state.knownMessageType(key);
  const actual = typeName(messageType(value, key));
  if (known && known !== actual) {
    throw new InvalidEventError(`external config "${key}" from source "${source}" is a ${actual}, but the key holds ${known} values`);
  }
}

/**
 * Checks the data the built-in events carry when they are pushed, so that a malformed event is
 * refused with a clear error instead of failing later inside the loop (and, for external
 * config, in every later merge).
 */
export function checkEventData(event: Event, state: ConfigState): void {
  if (event instanceof DBResync) {
    if (!(event.kubeState instanceof Map)) throw new InvalidEventError('DBResync kubeState must be a Map of resource -> Map of key -> value');
    for (const [resource, values] of event.kubeState) checkKeyValues(`DBResync kubeState "${String(resource)}"`, values);
    checkKeyValues('DBResync externalConfig', event.externalConfig);
  } else if (event instanceof ExternalConfigChange) {
    for (const [key, value] of checkKeyValues('ExternalConfigChange updatedKVs', event.updatedKVs)) checkExternalType(state, event.source, key, value);
  } else if (event instanceof ExternalConfigResync) {
    checkKeyValues('ExternalConfigResync externalConfig', event.externalConfig);
  } else if (event instanceof KubeStateChange) {
    // The names are built only for a value that fails (this runs for every push).
    if (event.newValue !== undefined && !isMessage(event.newValue)) checkValue(`KubeStateChange "${event.key}" newValue`, event.newValue);
    if (event.prevValue !== undefined && !isMessage(event.prevValue)) checkValue(`KubeStateChange "${event.key}" prevValue`, event.prevValue);
  }
}
