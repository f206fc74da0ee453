/**
 * Info lines for refused actions, at most a few per second per tenant: an agent looping on a topic
 * its policy refuses must not flood the log, nor one noisy tenant hide every other tenant's denials.
 */
import type { Logger } from '../../core/index.js';

export interface DenialLogOptions {
  readonly logger: Logger;
  /** Lines per tenant per second; default 10. */
  readonly perSecond?: number;
  /** Epoch ms; for tests. */
  readonly now?: () => number;
}

/** What one log line says about a denial. */
export interface Denial {
  readonly tenant: string;
  readonly clientId: string;
  readonly action: string;
  /** The resource as a policy names it (`topic/a/b`, `client/agent-7`). */
  readonly resource: string;
  /** `explanationText`, built only when the line is written. */
  readonly explain: () => string;
  readonly thing?: string;
  readonly sourceIp?: string;
}

interface TenantWindow {
  second: number;
  logged: number;
  suppressed: number;
}

/**
 * Logs denials within the rate; beyond it they are only counted, and the next line written for the
 * tenant says how many were left out (`suppressed`).
 *
 * @example
 * const denials = new DenialLog({ logger });
 * denials.record({ tenant: 'acme', clientId: 'agent-7', action: 'iot:Connect', resource: 'client/agent-7', explain: () => text });
 */
export class DenialLog {
  readonly #logger: Logger;
  readonly #perSecond: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, TenantWindow>();

  constructor(options: DenialLogOptions) {
    this.#logger = options.logger;
    this.#perSecond = options.perSecond ?? 10;
    this.#now = options.now ?? Date.now;
  }

  /** Returns true when the denial was written. */
  record(denial: Denial): boolean {
    const second = Math.floor(this.#now() / 1000);
    let window = this.#windows.get(denial.tenant);
    if (window === undefined) {
      // Tenants that stopped being denied are forgotten, so the map holds at most the recent ones.
      if (this.#windows.size >= 10_000) this.#forgetBefore(second);
      window = { second, logged: 0, suppressed: 0 };
      this.#windows.set(denial.tenant, window);
    }
    if (window.second !== second) {
      window.second = second;
      window.logged = 0;
    }
    if (window.logged >= this.#perSecond) {
      window.suppressed++;
      return false;
    }
    window.logged++;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    this.#logger.info({
      tenant: denial.tenant, clientId: denial.clientId, action: denial.action, resource: denial.resource,
      ...(denial.thing === undefined ? {} : { thing: denial.thing }),
      ...(denial.sourceIp === undefined ? {} : { sourceIp: denial.sourceIp }),
      explanation: denial.explain(),
      ...(suppressed === 0 ? {} : { suppressed }),
    }, 'not authorized');
    return true;
  }

  #forgetBefore(second: number): void {
    for (const [tenant, window] of this.#windows) if (window.second < second) this.#windows.delete(tenant);
  }
}
