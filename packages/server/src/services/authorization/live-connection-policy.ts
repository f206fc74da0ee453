/**
 * The ConnectionPolicy one connection holds: its bound policy set, checked synchronously per packet,
 * and swapped by the authorizer when a policy, an attachment or the thing changes.
 */
import { authorize, type BoundPolicySet, type Principal } from '../../auth/index.js';
import type { ConnectionPolicy } from '../../broker/index.js';
import { explainDecision, explanationText } from './explain-decision.js';
import type { BoundResolution } from './policy-resolver.js';

type ExplainedAction = Parameters<ConnectionPolicy['explain']>[0];

/**
 * One connection's policies, live. Checks read one field and call `authorize`: no allocation, no
 * store access. Only the authorizer calls `rebind`.
 *
 * @example
 * const policy = new LiveConnectionPolicy(principal, resolution, (live) => tracked.delete(live));
 * policy.mayPublish('customer-1/agent-7/status', false); // true
 */
export class LiveConnectionPolicy implements ConnectionPolicy {
  readonly principal: Principal;
  #resolution: BoundResolution;
  #bound: BoundPolicySet;
  #generation = 1;
  #released = false;
  readonly #onRelease: (policy: LiveConnectionPolicy) => void;

  constructor(principal: Principal, resolution: BoundResolution, onRelease: (policy: LiveConnectionPolicy) => void) {
    this.principal = principal;
    this.#resolution = resolution;
    this.#bound = resolution.bound;
    this.#onRelease = onRelease;
  }

  get generation(): number {
    return this.#generation;
  }

  get resolution(): BoundResolution {
    return this.#resolution;
  }

  get released(): boolean {
    return this.#released;
  }

  /**
   * Takes a fresh resolution. The generation moves (and the broker drops its decision caches) only
   * when the policy set or the thing facts differ; returns whether they did.
   */
  rebind(resolution: BoundResolution): boolean {
    const current = this.#resolution;
    if (resolution.key === current.key && resolution.contextKey === current.contextKey) return false;
    this.#resolution = resolution;
    this.#bound = resolution.bound;
    this.#generation++;
    return true;
  }

  mayPublish(topic: string, retain: boolean): boolean {
    const bound = this.#bound;
    // AWS: a retained publish needs iot:RetainPublish and iot:Publish both.
    return authorize(bound, 'iot:Publish', topic).allowed && (!retain || authorize(bound, 'iot:RetainPublish', topic).allowed);
  }

  maySubscribe(filter: string): boolean {
    return authorize(this.#bound, 'iot:Subscribe', filter).allowed;
  }

  mayReceive(topic: string): boolean {
    return authorize(this.#bound, 'iot:Receive', topic).allowed;
  }

  explain(action: ExplainedAction, resource: string): string {
    const resolution = this.#resolution;
    return explanationText(explainDecision(resolution, action, resource), action, resolution);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#onRelease(this);
  }
}
