/** `GET /v1/stats`: the broker's counters as JSON. */
import type { FastifyInstance } from 'fastify';
import type { BrokerAdmin } from '../../broker/index.js';
import { commonErrors, Stats } from '../schemas.js';

export function registerStatsRoutes(app: FastifyInstance, admin: BrokerAdmin): void {
  app.get('/v1/stats', {
    schema: { tags: ['stats'], summary: "The broker's counters since start", response: { 200: Stats, ...commonErrors } },
  }, async () => admin.counters);
}
