import pino from 'pino';
import { DBResync, ExternalConfigChange, type ControllerConfig, type EventHandler, type Southbound } from '../src/api';
import { createController, type Controller } from '../src/controller';
import { pairHandlers } from './workload';

export const silentLogger = pino({ level: 'silent' });

/** A controller past its startup resync (logging off, history on), so that no event is held back. */
export async function readyController(southbound: Southbound, config: Partial<ControllerConfig> = {}, handlers: EventHandler[] = pairHandlers()): Promise<Controller> {
  const controller = createController({ handlers, southbound, logger: silentLogger, config });
  await controller.start();
  controller.pushEvent(new DBResync());
  await barrier(controller);
  return controller;
}

/** A blocking event after everything pushed so far: resolves once all of it is processed. */
export async function barrier(controller: Controller): Promise<void> {
  const marker = new ExternalConfigChange('bench', true);
  controller.pushEvent(marker);
  await marker.wait();
}
