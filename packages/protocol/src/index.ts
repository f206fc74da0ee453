/**
 * @gatehouse/protocol: pure MQTT code shared by the Gatehouse server and agent — topic rules, the
 * TopicTree of subscriptions, the TopicIndex of concrete topics, and the AWS IoT Device Shadow topic
 * names and payload types.
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
export { isValidShadowName, isValidThingName, parseShadowRequestTopic, shadowTopic } from './aws-shadow-topics.js';
export type { ShadowOperation, ShadowReply, ShadowRequestTopic } from './aws-shadow-topics.js';
export type * from './aws-shadow-payloads.js';
export { mayClientPublishAwsTopic } from './aws-reserved-topics.js';
