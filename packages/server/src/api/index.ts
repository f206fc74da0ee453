/** The admin HTTP surface: REST API under `/v1`, health probes, Prometheus metrics, OpenAPI. */
export { createAdminApi, type AdminApiOptions } from './create-admin-api.js';
export { createMetricsRegistry, brokerMetrics } from './metrics.js';
export type { ErrorBody } from './schemas.js';
