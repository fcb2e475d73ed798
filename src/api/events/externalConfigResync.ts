import { EventMethodType } from '../enums';
import type { Event } from '../event';
import type { KeyValuePairs } from '../types';
import { Completion } from './completion';
import { keyList } from './describe';

/**
 * The whole configuration of one external source, replacing its previous snapshot.
 * The remote DB uses DBResync instead. (The reference calls its method Update: a typo.)
 */
export class ExternalConfigResync implements Event {
  static readonly eventName = 'External Config Resync';
  readonly externalConfig: KeyValuePairs = new Map();
  private readonly completion = new Completion();

  constructor(
    readonly source: string,
    private readonly blocking: boolean = false,
  ) {}

  getName(): string {
    return ExternalConfigResync.eventName;
  }

  toString(): string {
    return `${ExternalConfigResync.eventName}\n * source: ${this.source}\n * keys: ${keyList(this.externalConfig)}`;
  }

  method(): EventMethodType {
    return EventMethodType.UpstreamResync;
  }

  isBlocking(): boolean {
    return this.blocking;
  }

  done(err?: Error | null): void {
    this.completion.done(err);
  }

  wait(): Promise<void> {
    return this.completion.wait();
  }
}
