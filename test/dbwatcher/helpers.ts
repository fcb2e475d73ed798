import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { Root } from 'protobufjs';
import type { Event, EventLoop } from '../../src/api/event';
import { EventQueueFullError } from '../../src/api/errors';
import { DBResync, ExternalConfigChange, KubeStateChange } from '../../src/api/events';
import type { ProtoMessage } from '../../src/api/types';
import { ResourceRegistry } from '../../src/dbwatcher/registry';

export function silentLogger(): Logger {
  return pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/** The testing kit's waitFor: the one the project's tests use. */
export { waitFor } from '../../src/testing/waitFor';

/** Retries `assertion` until it passes; after `timeoutMs` throws its last failure (with jest's diff). */
export async function eventually(assertion: () => void | Promise<void>, timeoutMs = 20000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await assertion();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function tempDir(name: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `${name}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function json(value: ProtoMessage | null | undefined): unknown {
  return value ? (value as unknown as { toJSON(): unknown }).toJSON() : undefined;
}

/**
 * The handlers' view of the DB, derived only from the events: DBResync replaces it, changes
 * update it. A change whose prevValue differs from the view (a lost or repeated change)
 * is recorded as a violation.
 */
export class DerivedView {
  readonly kube = new Map<string, unknown>();
  readonly external = new Map<string, unknown>();
  readonly violations: string[] = [];

  apply(event: Event): void {
    if (event instanceof DBResync) {
      this.kube.clear();
      this.external.clear();
      for (const values of event.kubeState.values()) for (const [key, value] of values) this.kube.set(key, json(value));
      for (const [key, value] of event.externalConfig) this.external.set(key, json(value));
    } else if (event instanceof KubeStateChange) {
      const current = this.kube.get(event.key);
      if (JSON.stringify(current) !== JSON.stringify(json(event.prevValue))) {
        this.violations.push(`${event.key}: prevValue ${JSON.stringify(json(event.prevValue))} but view had ${JSON.stringify(current)}`);
      }
      if (event.newValue) this.kube.set(event.key, json(event.newValue));
      else this.kube.delete(event.key);
    } else if (event instanceof ExternalConfigChange) {
      for (const [key, value] of event.updatedKVs) {
        if (value) this.external.set(key, json(value));
        else this.external.delete(key);
      }
    }
  }
}

/** An EventLoop that records what it is given; `full` makes it refuse like a full queue. */
export class RecordingEventLoop implements EventLoop {
  readonly events: Event[] = [];
  readonly view = new DerivedView();
  full = false;
  refused = 0;

  pushEvent(event: Event): void {
    if (this.full) {
      this.refused++;
      throw new EventQueueFullError('main', 0, event.getName());
    }
    this.events.push(event);
    this.view.apply(event);
  }

  resyncs(): DBResync[] {
    return this.events.filter((e): e is DBResync => e instanceof DBResync);
  }

  kubeChanges(): KubeStateChange[] {
    return this.events.filter((e): e is KubeStateChange => e instanceof KubeStateChange);
  }

  externalChanges(): ExternalConfigChange[] {
    return this.events.filter((e): e is ExternalConfigChange => e instanceof ExternalConfigChange);
  }
}

/** A small external config model for tests: interfaces under `config/vpp/v2/interfaces/`. */
export const INTERFACE_PREFIX = 'config/vpp/v2/interfaces/';

export function registryWithInterfaces(): ResourceRegistry {
  const type = Root.fromJSON({
    nested: {
      test: { nested: { Interface: { fields: { name: { type: 'string', id: 1 }, mtu: { type: 'uint32', id: 2 } } } } },
    },
  }).lookupType('test.Interface');
  return ResourceRegistry.withBuiltins().registerExternalConfig({ keyPrefix: INTERFACE_PREFIX, type });
}

/** A logger whose messages a test can wait for (instead of sleeping). */
export function capturingLogger(): { logger: Logger; messages: string[] } {
  const messages: string[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void messages.push((JSON.parse(line) as { msg: string }).msg) },
  );
  return { logger, messages };
}
