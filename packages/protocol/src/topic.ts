/**
 * MQTT topic rules: validation of topic names, topic filters and shared subscription filters, and
 * `matchTopic`, the reference matcher that TopicTree and TopicIndex are tested against.
 */

/** Bounds a deployment puts on topics, on top of the protocol's own 65,535-byte limit. */
export interface TopicLimits {
  /** Longest topic in bytes of UTF-8 (capped at 65,535 by the protocol). */
  readonly maxLength: number;
  /** Most levels a topic may have: `a/b/c` has 3, `/` has 2. */
  readonly maxLevels: number;
}

/** Longest string the MQTT wire format can carry: a two-byte length prefix [MQTT-1.5.3]. */
export const MQTT_MAX_TOPIC_LENGTH = 65535;

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;
const SHARE_PREFIX = '$share/';

/**
 * Splits a topic name or filter into its levels. Empty levels are kept: `/a//b` has four.
 *
 * @example
 * topicLevels('sport/tennis/+'); // ['sport', 'tennis', '+']
 */
export function topicLevels(topic: string): string[] {
  return topic.split('/');
}

/**
 * Whether a filter contains a wildcard level, i.e. may match more than one topic name.
 *
 * @example
 * hasWildcard('a/+/c'); // true
 */
export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/**
 * Length of a string in bytes of UTF-8, counted without encoding it. An unpaired surrogate counts
 * as the 3 bytes of the U+FFFD that an encoder would write in its place.
 *
 * @example
 * utf8ByteLength('€/a'); // 5
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Checks a topic name, as used in PUBLISH and wills. Returns why it is invalid, or undefined when it
 * is valid.
 *
 * @example
 * validateTopicName('sport/tennis/+'); // 'Topic name must not contain wildcards'
 * validateTopicName('a/b', { maxLength: 256, maxLevels: 8 }); // undefined
 */
export function validateTopicName(topic: string, limits?: TopicLimits): string | undefined {
  if (topic.length === 0) return 'Topic name must not be empty'; // [MQTT-4.7.3-1]
  for (let i = 0; i < topic.length; i++) {
    const code = topic.charCodeAt(i);
    if (code === PLUS || code === HASH) return 'Topic name must not contain wildcards'; // [MQTT-3.3.2-2]
    if (code === 0) return 'Topic name must not contain the null character U+0000'; // [MQTT-4.7.3-2]
    if (code >= 0xd800 && code <= 0xdfff) {
      if (!isPairedSurrogate(topic, i)) return 'Topic name must be well-formed UTF-16 (it has an unpaired surrogate)'; // [MQTT-1.5.3-1]
      i++;
    }
  }
  return checkLimits('Topic name', topic, limits);
}

/**
 * Checks a topic filter, as used in SUBSCRIBE and UNSUBSCRIBE. For a shared subscription
 * (`$share/{group}/{filter}`) use `validateSharedFilter`, which checks the inner filter with this.
 *
 * @example
 * validateTopicFilter('sport/tennis/#'); // undefined
 * validateTopicFilter('sport/tennis#');  // 'The multi-level wildcard "#" must be ...'
 */
export function validateTopicFilter(filter: string, limits?: TopicLimits): string | undefined {
  if (filter.length === 0) return 'Topic filter must not be empty'; // [MQTT-4.7.3-1]
  const last = filter.length - 1;
  for (let i = 0; i <= last; i++) {
    const code = filter.charCodeAt(i);
    if (code === HASH) {
      const alone = i === 0 || filter.charCodeAt(i - 1) === SLASH;
      if (!alone || i !== last) {
        return 'The multi-level wildcard "#" must be the last character of the topic filter and alone in its level'; // [MQTT-4.7.1-2]
      }
    } else if (code === PLUS) {
      const alone = (i === 0 || filter.charCodeAt(i - 1) === SLASH) && (i === last || filter.charCodeAt(i + 1) === SLASH);
      if (!alone) return 'The single-level wildcard "+" must be alone in its level of the topic filter'; // [MQTT-4.7.1-3]
    } else if (code === 0) {
      return 'Topic filter must not contain the null character U+0000'; // [MQTT-4.7.3-2]
    } else if (code >= 0xd800 && code <= 0xdfff) {
      if (!isPairedSurrogate(filter, i)) return 'Topic filter must be well-formed UTF-16 (it has an unpaired surrogate)'; // [MQTT-1.5.3-1]
      i++;
    }
  }
  return checkLimits('Topic filter', filter, limits);
}

/** The two parts of a shared subscription filter `$share/{group}/{filter}`. */
export interface SharedFilter {
  /** The share name: subscribers with the same group and filter take turns receiving messages. */
  readonly group: string;
  /** The inner topic filter that is matched against topic names; empty when missing. */
  readonly filter: string;
}

/**
 * Splits `$share/{group}/{filter}` into its group and inner filter, or returns undefined when the
 * filter is not a shared subscription. It does not validate: `$share/g` gives an empty inner filter,
 * which `validateSharedFilter` rejects.
 *
 * @example
 * parseSharedFilter('$share/workers/jobs/+/run'); // { group: 'workers', filter: 'jobs/+/run' }
 * parseSharedFilter('jobs/+/run');                // undefined
 */
export function parseSharedFilter(filter: string): SharedFilter | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const slash = filter.indexOf('/', SHARE_PREFIX.length);
  if (slash === -1) return { group: filter.slice(SHARE_PREFIX.length), filter: '' };
  return { group: filter.slice(SHARE_PREFIX.length, slash), filter: filter.slice(slash + 1) };
}

/**
 * Checks a shared subscription filter `$share/{group}/{filter}`. The limits apply to the inner
 * filter, which is what the broker stores and matches; the whole string must still fit the wire.
 *
 * @example
 * validateSharedFilter('$share/workers/jobs/#'); // undefined
 * validateSharedFilter('$share/a+b/jobs/#');     // 'Share name must not contain "+", "#" or "/"'
 */
export function validateSharedFilter(filter: string, limits?: TopicLimits): string | undefined {
  const shared = parseSharedFilter(filter);
  if (shared === undefined) return `Shared subscription filter must start with "${SHARE_PREFIX}"`;
  if (shared.group.length === 0) return 'Share name must not be empty'; // [MQTT-4.8.2-1]
  if (shared.group.includes('+') || shared.group.includes('#')) return 'Share name must not contain "+", "#" or "/"'; // [MQTT-4.8.2-2]
  if (shared.filter.length === 0 && !filter.endsWith('/')) {
    return 'Shared subscription filter must have a "/" and a topic filter after the share name'; // [MQTT-4.8.2-1]
  }
  const inner = validateTopicFilter(shared.filter, limits); // [MQTT-4.8.2-1]
  if (inner !== undefined) return `${inner} (in shared subscription "${shared.group}")`;
  const bytes = utf8ByteLength(filter);
  if (bytes > MQTT_MAX_TOPIC_LENGTH) {
    return `Topic filter is ${bytes} bytes long, over the limit of ${MQTT_MAX_TOPIC_LENGTH}`; // [MQTT-1.5.3]
  }
  return undefined;
}

/**
 * Whether a topic filter matches a topic name. This is the plain reference implementation that the
 * tries are tested against; the broker matches through `TopicTree`. Both arguments are assumed valid
 * (a shared subscription's inner filter, not `$share/...`).
 *
 * @example
 * matchTopic('sport/#', 'sport');               // true: "#" also matches the parent level
 * matchTopic('a/+/c', 'a//c');                  // true: "+" matches an empty level
 * matchTopic('#', '$SYS/broker/uptime');        // false: wildcards do not open "$" topics
 * matchTopic('$SYS/#', '$SYS/broker/uptime');   // true
 */
export function matchTopic(filter: string, topic: string): boolean {
  const first = filter.charCodeAt(0);
  if (topic.charCodeAt(0) === DOLLAR && (first === HASH || first === PLUS)) return false; // [MQTT-4.7.2-1]
  const filterLevels = filter.split('/');
  const topicLevelList = topic.split('/');
  for (let i = 0; i < filterLevels.length; i++) {
    const level = filterLevels[i];
    if (level === '#') return true; // [MQTT-4.7.1-2] matches the parent and any number of children
    if (i >= topicLevelList.length) return false;
    if (level !== '+' && level !== topicLevelList[i]) return false; // [MQTT-4.7.1-3] "+" matches one level
  }
  return filterLevels.length === topicLevelList.length;
}

function checkLimits(what: string, topic: string, limits: TopicLimits | undefined): string | undefined {
  const maxLength = limits === undefined ? MQTT_MAX_TOPIC_LENGTH : Math.min(limits.maxLength, MQTT_MAX_TOPIC_LENGTH);
  // A UTF-16 code unit takes 1 to 3 bytes of UTF-8 (a surrogate pair 4 for 2 units), so most topics
  // are short enough to skip the byte count.
  if (topic.length * 3 > maxLength) {
    const bytes = utf8ByteLength(topic);
    if (bytes > maxLength) return `${what} is ${bytes} bytes long, over the limit of ${maxLength}`; // [MQTT-1.5.3]
  }
  if (limits !== undefined) {
    let levels = 1;
    for (let i = topic.indexOf('/'); i !== -1; i = topic.indexOf('/', i + 1)) levels++;
    if (levels > limits.maxLevels) return `${what} has ${levels} levels, over the limit of ${limits.maxLevels}`;
  }
  return undefined;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Whether the surrogate at `i` is a high surrogate followed by a low one. */
function isPairedSurrogate(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  return code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1));
}
