/** The errors the agent SDK throws for callers to catch. */

/**
 * A publish made while offline did not fit in the on-disk queue: `queue.maxMessages` or
 * `queue.maxBytes` is reached. Nothing was written; the caller decides whether to drop or retry.
 *
 * @example
 * try { await agent.publish('telemetry', reading); }
 * catch (error) { if (error instanceof AgentQueueFullError) dropOldestLocally(); else throw error; }
 */
export class AgentQueueFullError extends Error {
  override readonly name = 'AgentQueueFullError';
  readonly code = 'AGENT_QUEUE_FULL';
}
