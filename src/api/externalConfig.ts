import type { KeyValuePairs } from './types';

/** A source of configuration for the southbound besides the handlers (e.g. the agent prefix in etcd). */
export interface ExternalConfigSource {
  /** Identifies the source in events (`ExternalConfigChange.source`) and in merge precedence. */
  readonly name: string;
  /** The whole current configuration of the source; read at every DBResync. */
  getConfigSnapshot(): KeyValuePairs | Promise<KeyValuePairs>;
}

/** The name of the external source fed by the remote DB (via DBResync and its changes). */
export const DB_EXTERNAL_SOURCE = 'db';
