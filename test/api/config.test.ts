import { createController, DEFAULT_CONTROLLER_CONFIG, InMemorySouthbound, InvalidConfigError, InvalidHandlerError, resolveControllerConfig } from '../../src';

describe('controller settings', () => {
  test('defaults are those of the semantics page', () => {
    expect(resolveControllerConfig()).toEqual({
      eventQueueSize: 1000,
      enableRetry: true,
      delayRetry: 1000,
      maxRetryAttempts: 3,
      enableExpBackoffRetry: true,
      delayLocalResync: 5000,
      startupResyncDeadline: 30000,
      enablePeriodicHealing: false,
      periodicHealingInterval: 60000,
      delayAfterErrorHealing: 5000,
      remoteDBProbingInterval: 3000,
      recordEventHistory: true,
      eventHistoryAgeLimit: 86400000,
      permanentlyRecordedInitPeriod: 3600000,
      eventHistoryTrimInterval: 60000,
      enableVerification: false,
      eventHistoryMaxRecords: 10000,
      handlerTimeout: 60000,
      commitTimeout: 120000,
      maxHealingBackoff: 60000,
      maxFailedEventsInPeriod: 0,
      failedEventsPeriod: 60000,
      coalesceUpdates: true,
      maxCoalescedEvents: 256,
    });
    expect(Object.isFrozen(DEFAULT_CONTROLLER_CONFIG)).toBe(true);
  });

  test.each([
    [{ eventQueueSize: 0 }, 'eventQueueSize'],
    [{ delayRetry: -1 }, 'delayRetry'],
    [{ startupResyncDeadline: 2 ** 31 }, 'startupResyncDeadline'],
    [{ enableRetry: 'yes' }, 'enableRetry'],
    [{ maxRetryAttempts: 1.5 }, 'maxRetryAttempts'],
    [{ eventHistoryMaxRecords: 0 }, 'eventHistoryMaxRecords'],
    [{ handlerTimeout: -5 }, 'handlerTimeout'],
    [{ maxFailedEventsInPeriod: -1 }, 'maxFailedEventsInPeriod'],
    [{ noSuchSetting: 1 }, 'noSuchSetting'],
  ])('%j is refused with an error naming the key', (overrides, key) => {
    const error = (() => {
      try {
        resolveControllerConfig(overrides as never);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).key).toBe(key);
    expect((error as Error).message).toContain(`"${key}"`);
  });

  test('handlers need unique names and the four methods', () => {
    const southbound = new InMemorySouthbound();
    const handler = { name: 'h', handlesEvent: () => true, resync: () => undefined, update: () => undefined, revert: () => undefined };
    expect(() => createController({ handlers: [handler, { ...handler }], southbound })).toThrow(new InvalidHandlerError('two event handlers are named "h"'));
    expect(() => createController({ handlers: [{ ...handler, name: '' }], southbound })).toThrow(InvalidHandlerError);
    expect(() => createController({ handlers: [{ ...handler, revert: undefined } as never], southbound })).toThrow('event handler "h" has no revert() method');
  });
});
