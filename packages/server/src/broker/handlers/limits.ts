/** Topic limits from the broker's configured bounds. */
import type { TopicLimits } from '@gatehouse/protocol';
import type { BrokerLimits } from '../types.js';

const cache = new WeakMap<BrokerLimits, TopicLimits>();

export function topicLimits(limits: BrokerLimits): TopicLimits {
  let topic = cache.get(limits);
  if (topic === undefined) {
    topic = { maxLength: limits.maxTopicLength, maxLevels: limits.maxTopicLevels };
    cache.set(limits, topic);
  }
  return topic;
}
