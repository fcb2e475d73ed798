import type { FastifyInstance } from 'fastify';
import type { ControllerMetrics } from '../../metrics';

/** `GET /metrics`: the Prometheus text exposition of the controller's registry. */
export function registerMetricsRoute(app: FastifyInstance, metrics: ControllerMetrics): void {
  app.get('/metrics', async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}
