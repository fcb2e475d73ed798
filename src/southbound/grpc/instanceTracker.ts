import type { Logger } from 'pino';

/**
 * Tracks the southbound's instance id (new at each start of the server). The first id seen is
 * only recorded; a different one later means the southbound restarted and lost its state, and
 * the reset listeners run (the controller then runs a full resync before any further update).
 */
export class InstanceTracker {
  private instanceId: string | undefined;
  private readonly listeners = new Set<(reason: string) => void>();

  constructor(private readonly logger: Logger) {}

  get current(): string | undefined {
    return this.instanceId;
  }

  onReset(listener: (reason: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  observe(instanceId: string): void {
    if (!instanceId || instanceId === this.instanceId) return;
    const previous = this.instanceId;
    this.instanceId = instanceId;
    if (previous === undefined) {
      this.logger.info({ instanceId }, 'southbound instance');
      return;
    }
    const reason = `southbound restarted (instance ${previous} -> ${instanceId}): its state may be lost`;
    this.logger.warn({ previous, instanceId }, 'southbound instance changed: resync needed');
    for (const listener of [...this.listeners]) {
      try {
        listener(reason);
      } catch (error) {
        this.logger.error({ err: error }, 'southbound reset listener failed');
      }
    }
  }
}
