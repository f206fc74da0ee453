/**
 * @gatehouse/protocol: pure MQTT code shared by the Gatehouse server and agent — topic rules, the
 * TopicTree of subscriptions and the TopicIndex of concrete topics.
 */
export {
  MQTT_MAX_TOPIC_LENGTH,
  hasWildcard,
  matchTopic,
  parseSharedFilter,
  topicLevels,
  utf8ByteLength,
  validateSharedFilter,
  validateTopicFilter,
  validateTopicName,
} from './topic.js';
export type { SharedFilter, TopicLimits } from './topic.js';
export { TopicTree } from './topic-tree.js';
export { TopicIndex } from './topic-index.js';
