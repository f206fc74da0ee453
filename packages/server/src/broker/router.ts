/**
 * Who gets a message: a TopicTree of subscriptions with a per-topic cache of its answers, cleared
 * whenever a subscription changes, and round-robin choice inside shared subscription groups.
 */
import { TopicTree } from '@gatehouse/protocol';
import type { StoredMessage } from '../store/index.js';
import type { MessageOrigin } from './broker-port.js';
import { hidesDollarTopic, localStart } from './tenancy.js';
import type { SessionSubscription } from './session.js';

/** A `$share/{group}/{filter}` group: one subscriber of it gets each message (4.8.2). */
export interface SharedGroup {
  readonly kind: 'shared';
  readonly group: string;
  readonly topicFilter: string;
  readonly members: SessionSubscription[];
  next: number;
}

/** A subscriber inside the broker (services on reserved topics); it gets every matching message. */
export interface InternalSubscription {
  readonly kind: 'internal';
  readonly topicFilter: string;
  readonly handler: (message: StoredMessage, origin: MessageOrigin | undefined) => void;
}

export type RouteEntry = SessionSubscription | SharedGroup | InternalSubscription;

const MAX_CACHED_TOPICS = 50_000;

export class Router {
  readonly #tree = new TopicTree<RouteEntry>();
  readonly #groups = new Map<string, SharedGroup>();
  #cache = new Map<string, readonly RouteEntry[]>();

  match(topic: string): readonly RouteEntry[] {
    let entries = this.#cache.get(topic);
    if (entries === undefined) {
      entries = this.#lookup(topic);
      if (this.#cache.size >= MAX_CACHED_TOPICS) this.#cache = new Map();
      this.#cache.set(topic, entries);
    }
    return entries;
  }

  /**
   * Whether a message on `topic` would reach anyone, without caching the answer: the topics asked
   * about this way (one presence event per client id) are mostly never published, and caching them
   * would push the hot topics' routes out of the cache.
   */
  hasRoute(topic: string): boolean {
    return (this.#cache.get(topic) ?? this.#lookup(topic)).length > 0;
  }

  #lookup(topic: string): readonly RouteEntry[] {
    const entries = this.#tree.match(topic);
    // [MQTT-4.7.2-1] at a tenant's first level (tenancy.ts): `$tenants/acme/#` skips `$tenants/acme/$aws/...`
    const local = localStart(topic);
    if (local > 0 && topic.charCodeAt(local) === 36 /* $ */) return entries.filter((entry) => !hidesDollarTopic(entry.topicFilter, topic));
    return entries;
  }

  add(subscription: SessionSubscription): void {
    this.#cache.clear();
    if (subscription.group === undefined) {
      this.#tree.add(subscription.topicFilter, subscription);
      return;
    }
    const key = `${subscription.group}\u0000${subscription.topicFilter}`;
    let group = this.#groups.get(key);
    if (group === undefined) {
      group = { kind: 'shared', group: subscription.group, topicFilter: subscription.topicFilter, members: [], next: 0 };
      this.#groups.set(key, group);
      this.#tree.add(subscription.topicFilter, group);
    }
    group.members.push(subscription);
  }

  remove(subscription: SessionSubscription): void {
    this.#cache.clear();
    if (subscription.group === undefined) {
      this.#tree.remove(subscription.topicFilter, subscription);
      return;
    }
    const key = `${subscription.group}\u0000${subscription.topicFilter}`;
    const group = this.#groups.get(key);
    if (group === undefined) return;
    const index = group.members.indexOf(subscription);
    if (index >= 0) group.members.splice(index, 1);
    if (group.members.length === 0) {
      this.#groups.delete(key);
      this.#tree.remove(subscription.topicFilter, group);
    }
  }

  addInternal(subscription: InternalSubscription): void {
    this.#cache.clear();
    this.#tree.add(subscription.topicFilter, subscription);
  }

  removeInternal(subscription: InternalSubscription): void {
    this.#cache.clear();
    this.#tree.remove(subscription.topicFilter, subscription);
  }

  /** The member of a shared group that gets the next message: round robin, connected members first. */
  pickSharedMember(group: SharedGroup): SessionSubscription | undefined {
    const members = group.members;
    const count = members.length;
    for (let i = 0; i < count; i++) {
      const index = (group.next + i) % count;
      const member = members[index]!;
      if (member.session.connection !== undefined) {
        group.next = index + 1;
        return member;
      }
    }
    // Nobody is connected: queue on the next persistent member, if any.
    for (let i = 0; i < count; i++) {
      const index = (group.next + i) % count;
      const member = members[index]!;
      if (member.session.persistent) {
        group.next = index + 1;
        return member;
      }
    }
    return undefined;
  }
}
