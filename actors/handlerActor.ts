import type { Logger } from 'pino';
import type { ControllerClock } from '../src/api/clock';
import type { Event } from '../src/api/event';
import { HandlerTimeoutError, toError } from '../src/api/errors';
import type { EventHandler } from '../src/api/handler';
import type { ResyncOperations, UpdateOperations } from '../src/api/transaction';
import type { KubeStateData } from '../src/api/types';
import { fromReceiver } from './receiverLogic';
import { replyWithResult, type CallTimeLimit, type Request } from './request';
import { Watchdog } from './watchdog';

/** One call of a handler method, as a message to the handler's actor; `seqNum` of the event, for the logs. */
export type HandlerCall =
  | { type: 'handlesEvent'; event: Event; seqNum: number }
  | { type: 'update'; event: Event; seqNum: number; txn: UpdateOperations }
  | { type: 'resync'; event: Event; seqNum: number; kubeState: KubeStateData; resyncCount: number; txn: ResyncOperations }
  | { type: 'revert'; event: Event; seqNum: number }
  | { type: 'describe'; seqNum: number };

export interface HandlerActorInput {
  name: string;
}

export interface HandlerActorDeps {
  handler(name: string): EventHandler;
  /** `handlerTimeout`: 0 = calls may take as long as they like. */
  timeoutMs: number;
  clock: ControllerClock;
  logger: Logger;
}

function invoke(handler: EventHandler, call: HandlerCall): unknown {
  switch (call.type) {
    case 'handlesEvent':
      return handler.handlesEvent(call.event);
    case 'update':
      return handler.update(call.event, call.txn);
    case 'resync':
      return handler.resync(call.event, call.kubeState, call.resyncCount, call.txn);
    case 'revert':
      return handler.revert(call.event);
    case 'describe':
      return handler.describeInternalData ? handler.describeInternalData() : undefined;
  }
}

const METHOD_NAMES: Record<HandlerCall['type'], string> = {
  handlesEvent: 'handlesEvent',
  update: 'update',
  resync: 'resync',
  revert: 'revert',
  describe: 'describeInternalData',
};

/**
 * The actor of one event handler: long-lived, one per handler. It supervises the handler: whatever
 * the handler throws, rejects or returns becomes an outcome, never an error of the actor system;
 * a call that does not settle within `handlerTimeout` fails with HandlerTimeoutError, so a hung
 * handler cannot wedge the loop. A late settlement is logged and ignored.
 */
export function handlerActorLogic(deps: HandlerActorDeps) {
  return fromReceiver<Request<HandlerCall>, HandlerActorInput>((input) => {
    const handler = deps.handler(input.name);
    const watchdog = new Watchdog(deps.timeoutMs, deps.clock);
    const limit: CallTimeLimit<HandlerCall> = {
      watchdog,
      timeoutError: (call) => new HandlerTimeoutError(input.name, METHOD_NAMES[call.type], deps.timeoutMs),
      onLateSettlement: (call, outcome) =>
        deps.logger.warn(
          { seqNum: call.seqNum, handler: input.name, call: METHOD_NAMES[call.type], ...(outcome.ok ? {} : { err: outcome.error }) },
          'handler call settled after its timeout; its outcome is ignored',
        ),
    };
    return {
      receive(request) {
        let result: unknown;
        try {
          result = invoke(handler, request);
        } catch (thrown) {
          request.reply({ ok: false, error: toError(thrown) });
          return;
        }
        replyWithResult(result, request.reply, limit, request);
      },
      stop: () => watchdog.stop(),
    };
  });
}
