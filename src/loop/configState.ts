import { DB_EXTERNAL_SOURCE } from '../api/externalConfig';
import type { KeyValuePairs, KubeStateData, ProtoMessage } from '../api/types';
import { cloneMessage, typeName } from '../protobuf/merge';
import type { EventTransaction } from './eventTransaction';
import { InternalConfig } from './internalConfig';

/**
 * External config per source, in merge precedence: "db" first, then the registered sources in
 * registration order, then sources first seen in events. A later source merges over an earlier one
 * (the original picked Go map order, i.e. random).
 */
export class ExternalConfig {
  private readonly sources = new Map<string, Map<string, ProtoMessage>>();

  constructor(registeredSources: readonly string[]) {
    this.sources.set(DB_EXTERNAL_SOURCE, new Map());
    for (const name of registeredSources) this.sources.set(name, new Map());
  }

  /** Replaces a source's whole snapshot; absent values are dropped. */
  replace(source: string, snapshot: KeyValuePairs): void {
    const values = new Map<string, ProtoMessage>();
    for (const [key, value] of snapshot) if (value) values.set(key, value);
    this.sources.set(source, values);
  }

  /** Applies a change of some keys of one source; `null` removes the key. */
  apply(source: string, changes: KeyValuePairs): void {
    let values = this.sources.get(source);
    if (!values) this.sources.set(source, (values = new Map()));
    for (const [key, value] of changes) {
      if (value) values.set(key, value);
      else values.delete(key);
    }
  }

  /** The values every source holds for `key`, in precedence order. */
  valuesOf(key: string): ProtoMessage[] {
    const found: ProtoMessage[] = [];
    for (const values of this.sources.values()) {
      const value = values.get(key);
      if (value) found.push(value);
    }
    return found;
  }

  has(key: string): boolean {
    for (const values of this.sources.values()) if (values.has(key)) return true;
    return false;
  }

  /** Every key of every source, once. */
  keys(): Set<string> {
    const keys = new Set<string>();
    for (const values of this.sources.values()) for (const key of values.keys()) keys.add(key);
    return keys;
  }

  isEmpty(): boolean {
    for (const values of this.sources.values()) if (values.size > 0) return false;
    return true;
  }
}

/** What the controller knows between events: kube state, external and internal config. */
export class ConfigState {
  kubeState: KubeStateData = new Map();
  readonly externalConfig: ExternalConfig;
  /** The key-values the handlers produced, as last committed. */
  readonly internalConfig = new InternalConfig();
  resyncCount = 0;
  /** The transaction being built, while an event is processed. */
  currentTxn: EventTransaction | undefined;

  constructor(registeredSources: readonly string[]) {
    this.externalConfig = new ExternalConfig(registeredSources);
  }

  /** The full name of the message type `key` holds, from the internal config or any external source. */
  knownMessageType(key: string): string | undefined {
    const value = this.internalConfig.get(key) ?? this.externalConfig.valuesOf(key)[0];
    return value ? typeName(value.$type) : undefined;
  }

  /** ConfigRetriever: a copy of the value in the current transaction, else in the internal config. */
  getConfig(key: string): ProtoMessage | undefined {
    const txn = this.currentTxn;
    const value = txn && txn.ownValues.has(key) ? txn.ownValues.get(key) : this.internalConfig.get(key);
    return value ? cloneMessage(value) : undefined;
  }
}
