import type { FastifyInstance } from 'fastify';
import type { Controller } from '../../../controller';
import type { DbWatcherStatusSource } from '../../dbWatcherMetrics';

/**
 * Probes and state: `/livez` (503 once fatal: the agent must be restarted), `/readyz` (503 until
 * the startup resync is done, and while fatal or stopping), and `/controller/state` (the health
 * plus the machine's full state value and the queue depths, for people and tools looking in;
 * with a DB watcher, its connection, bad keys and local mirror).
 */
export function registerHealthRoutes(app: FastifyInstance, controller: Controller, dbWatcher?: DbWatcherStatusSource): void {
  app.get('/livez', async (_request, reply) => {
    const health = controller.health();
    return reply.code(health.live ? 200 : 503).send(health);
  });

  app.get('/readyz', async (_request, reply) => {
    const health = controller.health();
    return reply.code(health.ready ? 200 : 503).send(health);
  });

  app.get('/controller/state', async () => ({
    ...controller.health(),
    machineState: controller.actor.getSnapshot().value,
    queueDepths: controller.queueDepths(),
    ...(dbWatcher && { dbWatcher: dbWatcher.status() }),
  }));
}
