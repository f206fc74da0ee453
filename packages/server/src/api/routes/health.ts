/** Open probes and scrape targets: `/healthz`, `/readyz`, `/metrics`, `/openapi.json`. */
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Registry } from 'prom-client';

export interface HealthRouteOptions {
  readonly health: () => { ready: boolean; reasons: string[] };
  readonly metrics: Registry;
}

const Health = Type.Object({ status: Type.String() });
const Readiness = Type.Object({ status: Type.String(), reasons: Type.Array(Type.String()) });

export function registerHealthRoutes(app: FastifyInstance, options: HealthRouteOptions): void {
  registerProbeRoutes(app, options.health);

  app.get('/metrics', {
    schema: {
      tags: ['health'],
      security: [],
      summary: 'Prometheus metrics in the text exposition format',
      produces: ['text/plain'],
    },
  }, async (_request, reply) => {
    const body = await options.metrics.metrics();
    return reply.type(options.metrics.contentType).send(body);
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

/**
 * `/healthz` (the process answers) and `/readyz` (store reachable, accepting, not draining) for
 * load balancers and DNS failover; on the admin port and on the agent port alike.
 *
 * @example
 * registerProbeRoutes(agentApp, () => ({ ready: true, reasons: [] }));
 */
export function registerProbeRoutes(app: FastifyInstance, health: () => { ready: boolean; reasons: string[] }): void {
  app.get('/healthz', {
    schema: { tags: ['health'], summary: 'Answers 200 while the process runs', security: [], response: { 200: Health } },
  }, async () => ({ status: 'ok' }));

  app.get('/readyz', {
    schema: {
      tags: ['health'],
      security: [],
      summary: 'Answers 200 when the node can take traffic, else 503 with the reasons',
      response: { 200: Readiness, 503: Readiness },
    },
  }, async (_request, reply) => {
    const { ready, reasons } = health();
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not-ready', reasons });
  });
}
