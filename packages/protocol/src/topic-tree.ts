/**
 * TopicTree: a trie of subscription filters that answers "whose filters match this topic name?"
 * on the PUBLISH hot path. It stores opaque values and knows nothing of sessions.
 *
 * How matching works
 * ------------------
 * Filters are split at "/" into levels and stored one level per node, so `sport/tennis/+` and
 * `sport/#` share the `sport` node. Each node keeps its literal children in a Map and its "+" and
 * "#" children in fields of their own, because every level of every match asks for them.
 *
 * Matching the topic `sport/tennis/player1` visits, level by level:
 *   root   -> "#" child (a filter `#`) matches everything from here; then "+" and `sport`
 *   sport  -> "#" child (`sport/#`) matches; then "+" and `tennis`
 *   tennis -> "#" child (`sport/tennis/#`); then "+" (`sport/tennis/+`) and `player1`
 *   at the last level the values of the nodes reached (`sport/tennis/+`, `sport/tennis/player1`)
 *   are taken.
 *
 * - "+" matches exactly one level, which may be empty: `a/+/c` matches `a//c`, and `sport/+`
 *   matches `sport/` but not `sport` [MQTT-4.7.1-3].
 * - "#" matches the level it stands in and everything below, and also the parent level itself:
 *   `sport/#` matches `sport`, `sport/` and `sport/tennis/player1` [MQTT-4.7.1-2].
 * - Empty levels are ordinary levels: `/finance` has the levels "" and "finance", so `+/+` and
 *   `/+` match it and `+` does not.
 *
 * "$" topics
 * ----------
 * A filter whose first level is a wildcard does not match a topic name that starts with "$"
 * [MQTT-4.7.2-1]: `#` and `+/monitor/Clients` do not match `$SYS/monitor/Clients`, while
 * `$SYS/#` and `$SYS/monitor/+` do. Only the first level is special: `a/#` matches `a/$b`. The
 * tree applies this by skipping the root's "+" and "#" children when the topic starts with "$", so
 * `$aws/things/...` service traffic never reaches a client's `#`.
 *
 * Shared subscriptions
 * --------------------
 * `$share/{group}/{filter}` is not stored as such. The broker parses it (`parseSharedFilter`) and
 * adds a value for the group under the inner filter, then picks one member of the group per
 * message itself. So `$share/workers/jobs/#` lives at `jobs/#` beside plain `jobs/#`
 * subscriptions, and the "$" rule applies to the inner filter: `$share/g/#` does not receive
 * `$SYS/...` messages.
 *
 * Values are compared with `===`. A value under two matching filters (`a/+` and `a/#` for `a/b`) is
 * returned twice: the caller dedupes per session and keeps the highest QoS, as MQTT asks.
 */
import { validateTopicFilter } from './topic.js';

const DOLLAR = 0x24;
/** Above this many values a node keeps a Map from value to position, so add and remove stay O(1). */
const INDEX_THRESHOLD = 16;

class Node<T> {
  readonly key: string;
  readonly parent: Node<T> | undefined;
  children: Map<string, Node<T>> | undefined = undefined;
  plus: Node<T> | undefined = undefined;
  hash: Node<T> | undefined = undefined;
  /** Values of the filter ending here; unordered (removal swaps the last value in). */
  values: T[] | undefined = undefined;
  positions: Map<T, number> | undefined = undefined;

  constructor(key: string, parent: Node<T> | undefined) {
    this.key = key;
    this.parent = parent;
  }

  isEmpty(): boolean {
    return this.values === undefined && this.children === undefined && this.plus === undefined && this.hash === undefined;
  }
}

/**
 * A set of (topic filter, value) pairs that returns the values whose filter matches a topic name.
 * Filters must be valid (`validateTopicFilter`); shared subscriptions go in under their inner
 * filter.
 *
 * @example
 * const tree = new TopicTree<string>();
 * tree.add('sport/#', 'alice');
 * tree.add('sport/tennis/+', 'bob');
 * tree.add('#', 'carol');
 * tree.match('sport/tennis/player1'); // ['carol', 'alice', 'bob'] in some order
 * tree.match('$SYS/uptime');          // []: "#" does not match "$" topics
 */
export class TopicTree<T> {
  readonly #root = new Node<T>('', undefined);
  /** The node at which each stored filter ends, so add and remove skip the walk. */
  readonly #nodes = new Map<string, Node<T>>();
  #size = 0;
  #version = 0;
  // Reused by every match: match never calls out, so it cannot re-enter while these are in use.
  readonly #stackNodes: (Node<T> | undefined)[] = [];
  readonly #stackDepths: number[] = [];

  /** Number of (filter, value) pairs stored. */
  get size(): number {
    return this.#size;
  }

  /** Number of distinct filters stored. */
  get filterCount(): number {
    return this.#nodes.size;
  }

  /**
   * Goes up by one on every change that can alter a match result, so a caller caching match results
   * per topic name can tell when to drop them.
   */
  get version(): number {
    return this.#version;
  }

  /**
   * Stores a value under a filter. Adding the same pair again changes nothing.
   *
   * @throws {TypeError} when the filter is not a valid topic filter
   * @example
   * tree.add('devices/+/status', session);
   */
  add(filter: string, value: T): void {
    let node = this.#nodes.get(filter);
    if (node === undefined) {
      const reason = validateTopicFilter(filter);
      if (reason !== undefined) throw new TypeError(`Cannot add topic filter "${filter}" to the tree: ${reason}`);
      node = this.#createPath(filter);
      this.#nodes.set(filter, node);
    }
    if (node.values === undefined) {
      node.values = [value];
    } else {
      if (node.positions !== undefined ? node.positions.has(value) : node.values.includes(value)) return;
      node.values.push(value);
      if (node.positions !== undefined) node.positions.set(value, node.values.length - 1);
      else if (node.values.length > INDEX_THRESHOLD) node.positions = new Map(node.values.map((v, i) => [v, i]));
    }
    this.#size++;
    this.#version++;
  }

  /**
   * Removes a value from a filter and prunes nodes left empty. Returns whether the pair was stored.
   *
   * @example
   * tree.remove('devices/+/status', session); // true
   */
  remove(filter: string, value: T): boolean {
    const node = this.#nodes.get(filter);
    const values = node?.values;
    if (node === undefined || values === undefined) return false;
    const at = node.positions !== undefined ? (node.positions.get(value) ?? -1) : values.indexOf(value);
    if (at === -1) return false;
    const lastValue = values.pop() as T;
    if (at < values.length) {
      values[at] = lastValue;
      node.positions?.set(lastValue, at);
    }
    node.positions?.delete(value);
    if (values.length === 0) {
      node.values = undefined;
      node.positions = undefined;
      this.#nodes.delete(filter);
      this.#prune(node);
    }
    this.#size--;
    this.#version++;
    return true;
  }

  /**
   * Whether the pair is stored.
   *
   * @example
   * tree.has('devices/+/status', session); // true
   */
  has(filter: string, value: T): boolean {
    const node = this.#nodes.get(filter);
    if (node === undefined || node.values === undefined) return false;
    return node.positions !== undefined ? node.positions.has(value) : node.values.includes(value);
  }

  /**
   * The values stored under exactly this filter (no matching), in no particular order.
   *
   * @example
   * tree.valuesOf('devices/+/status'); // [session]
   */
  valuesOf(filter: string): T[] {
    return this.#nodes.get(filter)?.values?.slice() ?? [];
  }

  /**
   * Every value of every filter that matches the topic name, in no particular order; a value under
   * several matching filters appears once per filter. The topic is assumed valid
   * (`validateTopicName`).
   *
   * @example
   * tree.match('sport/tennis/player1');
   */
  match(topic: string): T[] {
    const out: T[] = [];
    const levels = topic.split('/');
    const count = levels.length;
    const dollar = topic.charCodeAt(0) === DOLLAR;
    const nodes = this.#stackNodes;
    const depths = this.#stackDepths;
    nodes[0] = this.#root;
    depths[0] = 0;
    let top = 1;
    while (top > 0) {
      top--;
      const node = nodes[top] as Node<T>;
      const depth = depths[top] as number;
      nodes[top] = undefined; // do not keep pruned nodes alive between calls
      const wildcards = depth !== 0 || !dollar; // [MQTT-4.7.2-1]
      // "#" matches here too: `sport/#` covers `sport` [MQTT-4.7.1-2]
      if (wildcards && node.hash !== undefined) appendAll(out, node.hash.values);
      if (depth === count) {
        if (node.values !== undefined) appendAll(out, node.values);
        continue;
      }
      if (wildcards && node.plus !== undefined) {
        nodes[top] = node.plus;
        depths[top] = depth + 1;
        top++;
      }
      const child = node.children?.get(levels[depth] as string);
      if (child !== undefined) {
        nodes[top] = child;
        depths[top] = depth + 1;
        top++;
      }
    }
    return out;
  }

  /**
   * Every stored (filter, value) pair, filters in the order they were first added.
   *
   * @example
   * for (const [filter, value] of tree.entries()) console.log(filter, value);
   */
  *entries(): IterableIterator<[string, T]> {
    for (const [filter, node] of this.#nodes) {
      for (const value of node.values?.slice() ?? []) yield [filter, value];
    }
  }

  /** Removes everything. */
  clear(): void {
    const root = this.#root;
    root.children = undefined;
    root.plus = undefined;
    root.hash = undefined;
    root.values = undefined;
    root.positions = undefined;
    this.#nodes.clear();
    this.#size = 0;
    this.#version++;
  }

  /** Number of trie nodes below the root: for memory metrics, and for tests that pruning works. */
  get nodeCount(): number {
    let count = 0;
    const pending: Node<T>[] = [this.#root];
    for (let node = pending.pop(); node !== undefined; node = pending.pop()) {
      if (node.plus !== undefined) pending.push(node.plus);
      if (node.hash !== undefined) pending.push(node.hash);
      if (node.children !== undefined) for (const child of node.children.values()) pending.push(child);
      count++;
    }
    return count - 1;
  }

  #createPath(filter: string): Node<T> {
    let node = this.#root;
    let start = 0;
    for (;;) {
      const slash = filter.indexOf('/', start);
      const key = slash === -1 ? filter.slice(start) : filter.slice(start, slash);
      node = childFor(node, key);
      if (slash === -1) return node;
      start = slash + 1;
    }
  }

  #prune(node: Node<T>): void {
    let current: Node<T> = node;
    while (current.parent !== undefined && current.isEmpty()) {
      const parent = current.parent;
      if (current.key === '+' && parent.plus === current) parent.plus = undefined;
      else if (current.key === '#' && parent.hash === current) parent.hash = undefined;
      else {
        parent.children?.delete(current.key);
        if (parent.children?.size === 0) parent.children = undefined;
      }
      current = parent;
    }
  }
}

function childFor<T>(node: Node<T>, key: string): Node<T> {
  if (key === '+') return (node.plus ??= new Node(key, node));
  if (key === '#') return (node.hash ??= new Node(key, node));
  const children = (node.children ??= new Map());
  let child = children.get(key);
  if (child === undefined) {
    child = new Node(key, node);
    children.set(key, child);
  }
  return child;
}

function appendAll<T>(out: T[], values: readonly T[] | undefined): void {
  if (values === undefined) return;
  for (let i = 0; i < values.length; i++) out.push(values[i] as T);
}
