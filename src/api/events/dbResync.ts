import { EventMethodType } from '../enums';
import type { Event } from '../event';
import type { KeyValuePairs, KubeStateData } from '../types';
import { objectId } from './describe';

/** A snapshot of the whole database: every watched Kubernetes resource and the external config. */
export class DBResync implements Event {
  static readonly eventName = 'Database Resync';
  /** Loaded from the local DB mirror rather than the remote DB. */
  readonly local: boolean;
  readonly kubeState: KubeStateData;
  readonly externalConfig: KeyValuePairs;

  constructor(fields: { local?: boolean; kubeState?: KubeStateData; externalConfig?: KeyValuePairs } = {}) {
    this.local = fields.local ?? false;
    this.kubeState = fields.kubeState ?? new Map();
    this.externalConfig = fields.externalConfig ?? new Map();
  }

  getName(): string {
    return DBResync.eventName;
  }

  toString(): string {
    const lines: string[] = [];
    for (const [resource, values] of this.kubeState) {
      if (values.size === 0) continue;
      const ids = [...values].map(([key, value]) => objectId(key, value));
      lines.push(`${values.size} x ${resource}: [${ids.join(', ')}]`);
    }
    if (this.externalConfig.size > 0) lines.push(`external config: [${[...this.externalConfig.keys()].join(', ')}]`);
    const source = this.local ? ' (from local DB)' : '';
    if (lines.length === 0) return `${DBResync.eventName}${source} - empty dataset`;
    return `${DBResync.eventName}${source}\n${lines.map((line) => ` * ${line}`).join('\n')}`;
  }

  method(): EventMethodType {
    return EventMethodType.FullResync;
  }

  isBlocking(): boolean {
    return false;
  }

  done(): void {}
}
