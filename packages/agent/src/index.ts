/**
 * @gatehouse/agent: the SDK an agent uses to stay connected to Gatehouse from behind firewalls and
 * proxies — failover across endpoints, a persistent session with an on-disk offline queue, its own
 * topics, commands with replies, and configuration from retained messages and the shadow.
 */
export { createAgent, Agent, type AgentEvents, type AgentPublishOptions, type CommandHandler } from './agent.ts';
export type { AgentOptions, ShadowSyncOptions } from './agent-options.ts';
export { MAX_KEEPALIVE_SECONDS } from './agent-options.ts';
export type { AgentMessage, MessageHandler, MessageProperties } from './agent-message.ts';
export { AgentQueueFullError } from './agent-errors.ts';
export { DEFAULT_BACKOFF, backoffDelay, failoverBound, type BackoffOptions } from './backoff.ts';
export { matchesNoProxy, proxyForUrl } from './proxy-for-url.ts';
export { ProxyTunnelError } from './open-tunnel.ts';
export type { ClockSkew } from './clock-skew.ts';
export type { CommandRequest } from './command-envelope.ts';
export type { TlsMaterial } from './open-transport.ts';
