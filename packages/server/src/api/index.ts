/** The admin HTTP surface: REST API under `/v1`, health probes, Prometheus metrics, OpenAPI. */
export { createAdminApi, type AdminApiOptions } from './create-admin-api.js';
export { createAgentApi, type AgentApi, type AgentApiOptions } from './create-agent-api.js';
export { gatehouseCaRecord, type AgentEndpoints, type IdentityServices } from './identity/identity-services.js';
export { createMetricsRegistry, brokerMetrics } from './metrics.js';
export type { ErrorBody } from './schemas.js';
