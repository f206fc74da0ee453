export { Broker, type BrokerOptions, type Drain, type DrainOptions } from './broker.js';
export { defaultFeatures, defaultLimits } from './defaults.js';
export { allow, allowAs, defer, deny } from './hooks.js';
export type * from './hooks.js';
export type * from './broker-port.js';
export type * from './lifecycle.js';
export { awsDisconnectReason, DISCONNECT_REASONS } from './lifecycle.js';
export type * from './types.js';
export { localTopic, tenantTopicPrefix, tenantTopicRoot, topicTenant } from './tenancy.js';
