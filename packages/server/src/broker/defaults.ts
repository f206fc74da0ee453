/** Default bounds and features; docs/configuration.md and docs/mqtt-support.md list the same values. */
import type { BrokerFeatures, BrokerLimits } from './types.js';

export const defaultLimits: BrokerLimits = {
  maxPacketSize: 256 * 1024,
  receiveMaximum: 100,
  maxInflight: 100,
  maxQueuedMessages: 1000,
  queueOverflow: 'drop-oldest',
  maxSubscriptionsPerClient: 100,
  maxTopicLength: 1024,
  maxTopicLevels: 16,
  maxClientIdLength: 128,
  maxConnections: 100_000,
  maxPublishRate: 1000,
  maxKeepAlive: 1200,
  maxSessionExpiry: 7 * 24 * 3600,
  topicAliasMaximum: 16,
  maxWriteBuffer: 1024 * 1024,
  slowConsumerTimeoutMs: 30_000,
  maxMessageExpiry: 0,
  maxRetainedMessages: 1_000_000,
};

export const defaultFeatures: BrokerFeatures = {
  retainAvailable: true,
  wildcardSubscriptionAvailable: true,
  sharedSubscriptionAvailable: true,
  subscriptionIdentifiersAvailable: true,
  allowAnonymous: true,
};
