/**
 * TopicIndex: a trie of concrete topic names (retained messages, shadows) that answers "which stored
 * topics does this filter match?" — the reverse of TopicTree. It stores opaque values.
 *
 * The same rules as TopicTree, read backwards: a filter `sport/#` returns `sport` and everything
 * below it, `+` returns any single level including an empty one, and a filter whose first level is
 * a wildcard (`#`, `+/...`) returns no topic that starts with "$" [MQTT-4.7.2-1], so a new `#`
 * subscriber is not sent every retained `$aws/...` message.
 */
import { validateTopicFilter, validateTopicName } from './topic.js';

const DOLLAR = 0x24;

class Node<T> {
  readonly key: string;
  readonly parent: Node<T> | undefined;
  children: Map<string, Node<T>> | undefined = undefined;
  /** The full topic name when a value is stored here, kept so walks never rebuild strings. */
  topic: string | undefined = undefined;
  value: T | undefined = undefined;

  constructor(key: string, parent: Node<T> | undefined) {
    this.key = key;
    this.parent = parent;
  }
}

/**
 * A map from topic names to values that can also be queried with a topic filter.
 *
 * @example
 * const retained = new TopicIndex<Buffer>();
 * retained.set('agents/7/config', payload);
 * retained.set('$aws/things/agent-7/shadow/get', other);
 * retained.matchFilter('agents/+/config'); // [payload]
 * retained.matchFilter('#');               // [payload]: "#" skips "$" topics
 */
export class TopicIndex<T> {
  readonly #root = new Node<T>('', undefined);
  /** Node of each stored topic, in insertion order: get/set/delete skip the walk, entries use the order. */
  readonly #nodes = new Map<string, Node<T>>();

  /** Number of topics stored. */
  get size(): number {
    return this.#nodes.size;
  }

  /**
   * Stores or replaces the value of a topic. A replaced topic keeps its place in `entries()`.
   *
   * @throws {TypeError} when the topic is not a valid topic name
   * @example
   * retained.set('agents/7/config', payload);
   */
  set(topic: string, value: T): void {
    const existing = this.#nodes.get(topic);
    if (existing !== undefined) {
      existing.value = value;
      return;
    }
    const reason = validateTopicName(topic);
    if (reason !== undefined) throw new TypeError(`Cannot store topic "${topic}" in the index: ${reason}`);
    let node = this.#root;
    let start = 0;
    for (;;) {
      const slash = topic.indexOf('/', start);
      const key = slash === -1 ? topic.slice(start) : topic.slice(start, slash);
      const children = (node.children ??= new Map());
      let child = children.get(key);
      if (child === undefined) {
        child = new Node(key, node);
        children.set(key, child);
      }
      node = child;
      if (slash === -1) break;
      start = slash + 1;
    }
    node.topic = topic;
    node.value = value;
    this.#nodes.set(topic, node);
  }

  /**
   * The value stored for exactly this topic.
   *
   * @example
   * retained.get('agents/7/config');
   */
  get(topic: string): T | undefined {
    return this.#nodes.get(topic)?.value;
  }

  /**
   * Whether a value is stored for exactly this topic.
   *
   * @example
   * retained.has('agents/7/config'); // true
   */
  has(topic: string): boolean {
    return this.#nodes.has(topic);
  }

  /**
   * Removes a topic and prunes nodes left empty. Returns whether it was stored.
   *
   * @example
   * retained.delete('agents/7/config'); // true
   */
  delete(topic: string): boolean {
    const node = this.#nodes.get(topic);
    if (node === undefined) return false;
    this.#nodes.delete(topic);
    node.topic = undefined;
    node.value = undefined;
    let current = node;
    while (current.parent !== undefined && current.topic === undefined && current.children === undefined) {
      const parent = current.parent;
      parent.children?.delete(current.key);
      if (parent.children?.size === 0) parent.children = undefined;
      current = parent;
    }
    return true;
  }

  /**
   * The values of every stored topic that the filter matches, in no particular order. A shared
   * subscription's inner filter is passed, not `$share/...`.
   *
   * @throws {TypeError} when the filter is not a valid topic filter
   * @example
   * retained.matchFilter('agents/+/config');
   */
  matchFilter(filter: string): T[] {
    const out: T[] = [];
    if (!filter.includes('+') && !filter.includes('#')) {
      const node = this.#nodes.get(filter);
      if (node !== undefined) out.push(node.value as T);
      return out;
    }
    const reason = validateTopicFilter(filter);
    if (reason !== undefined) throw new TypeError(`Cannot match topic filter "${filter}": ${reason}`);
    const levels = filter.split('/');
    const count = levels.length;
    // Explicit stacks rather than recursion: stored topics may be deeper than the call stack.
    const nodes: Node<T>[] = [this.#root];
    const depths: number[] = [0];
    for (let node = nodes.pop(); node !== undefined; node = nodes.pop()) {
      const depth = depths.pop() as number;
      if (depth === count) {
        if (node.topic !== undefined) out.push(node.value as T);
        continue;
      }
      const level = levels[depth] as string;
      if (level === '#') {
        // Covers the parent too: `sport/#` returns `sport` [MQTT-4.7.1-2].
        if (node.topic !== undefined) out.push(node.value as T);
        collectBelow(node, depth === 0, out); // [MQTT-4.7.2-1]
      } else if (level === '+') {
        if (node.children === undefined) continue;
        for (const child of node.children.values()) {
          if (depth === 0 && child.key.charCodeAt(0) === DOLLAR) continue; // [MQTT-4.7.2-1]
          nodes.push(child);
          depths.push(depth + 1);
        }
      } else {
        const child = node.children?.get(level);
        if (child !== undefined) {
          nodes.push(child);
          depths.push(depth + 1);
        }
      }
    }
    return out;
  }

  /**
   * Stored (topic, value) pairs in insertion order (the order topics were first set), optionally
   * only those whose topic starts with a string prefix (`'agents/7'` also yields `agents/70/x`).
   * The prefix is a plain scan of every topic; fine for admin listings, not for the hot path.
   *
   * @example
   * for (const [topic, value] of retained.entries('agents/7/')) console.log(topic);
   */
  *entries(prefix?: string): IterableIterator<[string, T]> {
    for (const [topic, node] of this.#nodes) {
      if (prefix === undefined || topic.startsWith(prefix)) yield [topic, node.value as T];
    }
  }

  /** Removes everything. */
  clear(): void {
    this.#root.children = undefined;
    this.#nodes.clear();
  }

  /** Number of trie nodes below the root: for memory metrics, and for tests that pruning works. */
  get nodeCount(): number {
    let count = 0;
    const pending: Node<T>[] = [this.#root];
    for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
      if (node.children !== undefined) for (const child of node.children.values()) pending.push(child);
      count++;
    }
    return count - 1;
  }
}

/** Appends the values of every stored topic strictly below `start`, skipping "$" first levels if asked. */
function collectBelow<T>(start: Node<T>, skipDollar: boolean, out: T[]): void {
  if (start.children === undefined) return;
  const pending: Node<T>[] = [];
  for (const child of start.children.values()) {
    if (skipDollar && child.key.charCodeAt(0) === DOLLAR) continue;
    pending.push(child);
  }
  for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
    if (node.topic !== undefined) out.push(node.value as T);
    if (node.children !== undefined) for (const child of node.children.values()) pending.push(child);
  }
}
