import { EventMethodType } from '../api/enums';
import type { Event } from '../api/event';
import { DBResync } from '../api/events/dbResync';
import { ExternalConfigChange } from '../api/events/externalConfigChange';
import { ExternalConfigResync } from '../api/events/externalConfigResync';
import { KubeStateChange } from '../api/events/kubeStateChange';
import { DB_EXTERNAL_SOURCE, type ExternalConfigSource } from '../api/externalConfig';
import { ExternalSourceError } from '../api/errors';
import type { KubeStateData } from '../api/types';
import type { Logger } from 'pino';
import type { ConfigState } from './configState';

interface BookkeepingDeps {
  state: ConfigState;
  externalSources: readonly ExternalConfigSource[];
  logger: Logger;
}

function copyKubeState(kubeState: KubeStateData): KubeStateData {
  const copy: KubeStateData = new Map();
  for (const [resource, values] of kubeState) copy.set(resource, new Map(values));
  return copy;
}

async function rereadSources(deps: BookkeepingDeps): Promise<void> {
  for (const source of deps.externalSources) {
    try {
      deps.state.externalConfig.replace(source.name, await source.getConfigSnapshot());
    } catch (error) {
      // Semantics: a failing source is logged and skipped; its previous snapshot stays.
      deps.logger.error({ err: new ExternalSourceError(source.name, error) }, 'external config source skipped');
    }
  }
}

/**
 * Steps 1-2 of "Processing one event": what the controller learns from the event before any
 * handler runs. Returns a promise only when a registered source must be re-read.
 */
export function applyBookkeeping(event: Event, method: EventMethodType, deps: BookkeepingDeps): void | Promise<void> {
  const { state } = deps;
  if (method !== EventMethodType.Update) {
    state.resyncCount++;
    if (event instanceof DBResync) {
      state.kubeState = copyKubeState(event.kubeState);
      state.externalConfig.replace(DB_EXTERNAL_SOURCE, event.externalConfig);
      if (deps.externalSources.length > 0) return rereadSources(deps);
    } else if (event instanceof ExternalConfigResync) {
      state.externalConfig.replace(event.source, event.externalConfig);
    }
    return;
  }
  if (event instanceof KubeStateChange) {
    let values = state.kubeState.get(event.resource);
    if (!values) state.kubeState.set(event.resource, (values = new Map()));
    if (event.newValue) values.set(event.key, event.newValue);
    else values.delete(event.key);
  } else if (event instanceof ExternalConfigChange) {
    state.externalConfig.apply(event.source, event.updatedKVs);
  }
}
