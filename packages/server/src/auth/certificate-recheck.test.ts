import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { silentLogger } from '../core/index.js';
import { MemoryIdentityStore, type CertificateRecord, type IdentityStore } from '../store/index.js';
import { startCertificateRecheck, type CertificateRecheck, type CertificateRecheckOptions } from './certificate-recheck.js';
import type { PrincipalConnections } from './certificate-revocation.js';
import type { Principal } from './principal.js';

const T0 = Date.parse('2026-03-01T10:00:00Z');
const YEAR = 365 * 86_400_000;

function record(seed: number, changes: Partial<CertificateRecord> = {}): CertificateRecord {
  return {
    id: createHash('sha256').update(`cert-${seed}`).digest('hex'), tenant: 'acme', thing: `agent-${seed}`, status: 'ACTIVE',
    certificatePem: 'pem', caId: 'ca', serialNumber: seed.toString(16), subject: `CN=agent-${seed}`,
    notBefore: T0 - YEAR, notAfter: T0 + YEAR, issuedBy: 'gatehouse', createdAt: T0 - YEAR, updatedAt: T0 - YEAR, ...changes,
  };
}

/** The real MemoryIdentityStore behind a proxy that counts the calls of each verb. */
function counted(store: IdentityStore): { readonly identity: IdentityStore; readonly calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const identity = new Proxy(store, {
    get(target, name) {
      const value: unknown = Reflect.get(target, name, target);
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      return (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        return Reflect.apply(value, target, args);
      };
    },
  });
  return { identity, calls };
}

interface Live {
  readonly principal: Principal;
  closed?: string;
}

/** The broker's connection list as the re-check sees it (auth/ may not import broker/), with its scans counted. */
class LiveConnections implements PrincipalConnections {
  readonly live: Live[] = [];
  scans = 0;

  add(certificate: CertificateRecord, kind: 'certificate' | 'sigv4' = 'certificate'): Live {
    const entry: Live = {
      principal: { kind, tenant: certificate.tenant, certificateId: certificate.id, certificateNotAfter: certificate.notAfter, clientId: `c-${this.live.length}`, sourceIp: '203.0.113.9', attributes: {} },
    };
    this.live.push(entry);
    return entry;
  }

  disconnectWhere(predicate: (connection: { readonly principal: Principal | undefined }) => boolean, options: { readonly reason: string }): number {
    this.scans++;
    let closed = 0;
    for (const entry of this.live) {
      if (entry.closed !== undefined || !predicate(entry)) continue;
      entry.closed = options.reason;
      closed++;
    }
    return closed;
  }

  listPrincipals(): Principal[] {
    this.scans++;
    return this.live.filter((entry) => entry.closed === undefined).map((entry) => entry.principal);
  }

  closedReasons(): Record<string, string> {
    return Object.fromEntries(this.live.filter((entry) => entry.closed !== undefined).map((entry) => [entry.principal.clientId, entry.closed!]));
  }
}

describe('startCertificateRecheck', () => {
  let recheck: CertificateRecheck | undefined;
  afterEach(() => recheck?.stop());

  async function setUp(count: number, options: Partial<CertificateRecheckOptions> = {}) {
    const store = new MemoryIdentityStore();
    await store.open();
    const records = Array.from({ length: count }, (_, n) => record(n));
    for (const each of records) await store.putCertificate(each);
    const connections = new LiveConnections();
    for (const each of records) connections.add(each);
    const { identity, calls } = counted(store);
    const clock = { at: T0 };
    // The timer stays out of the way: the tests drive rounds with checkNow.
    recheck = startCertificateRecheck({ identity, connections, logger: silentLogger(), intervalMs: 60_000, now: () => clock.at, ...options });
    return { store, records, connections, calls, clock, recheck };
  }

  it('reads the change feed once per round and no certificate, with 1000 live certificates and nothing changed', async () => {
    const { calls, connections, clock, recheck } = await setUp(1000);
    for (let round = 0; round < 5; round++) {
      clock.at += 500;
      assert.equal(await recheck.checkNow(), 0);
    }
    // Before the change feed this was 5000 getCertificate calls: one per live certificate per round.
    assert.deepEqual(Object.fromEntries(calls), { listCertificateChanges: 5 });
    // One expiry sweep (the first round) and no pass for closing: nothing was invalid.
    assert.equal(connections.scans, 1);
  });

  it('closes the connections of certificates revoked or deactivated in the store by another process, and only those', async () => {
    const { store, records, connections, calls, clock, recheck } = await setUp(1000);
    const second = connections.add(records[7]!);
    await recheck.checkNow();
    clock.at += 500;
    await store.setCertificateStatus(records[7]!.id, 'REVOKED', clock.at);
    await store.setCertificateStatus(records[8]!.id, 'INACTIVE', clock.at);
    await store.setCertificateThing(records[9]!.id, 'other', clock.at);
    assert.equal(await recheck.checkNow(), 3);
    assert.deepEqual(connections.closedReasons(), { 'c-7': 'Certificate revoked', [second.principal.clientId]: 'Certificate revoked', 'c-8': 'Certificate deactivated' });
    assert.equal(calls.get('getCertificate'), undefined);
    assert.equal(calls.get('listCertificateChanges'), 2);
  });

  it('sees a change stamped by a node whose clock is behind, within the overlap', async () => {
    const { store, records, connections, clock, recheck } = await setUp(10, { overlapMs: 5_000 });
    clock.at += 1_000;
    await recheck.checkNow();
    clock.at += 500;
    // Stamped 3 s before this node's previous pass began.
    await store.setCertificateStatus(records[3]!.id, 'REVOKED', T0 - 2_000);
    assert.equal(await recheck.checkNow(), 1);
    assert.deepEqual(connections.closedReasons(), { 'c-3': 'Certificate revoked' });
  });

  it('reads on after a full page at once, even when 2500 changes share one millisecond', async () => {
    const { store, records, connections, calls, clock } = await setUp(2500, { intervalMs: 300 });
    clock.at += 500;
    await store.transaction(async (tx) => {
      for (const each of records) await tx.setCertificateStatus(each.id, 'REVOKED', clock.at);
    });
    const started = performance.now();
    while (connections.live.some((entry) => entry.closed === undefined)) {
      assert.ok(performance.now() - started < 5_000, 'every connection closed');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Three pages one after another, not one page per 300 ms interval.
    const ms = performance.now() - started;
    assert.ok(ms < 700, `closed after ${ms.toFixed(0)} ms`);
    assert.equal(calls.get('listCertificateChanges'), 3);
    assert.equal(calls.get('getCertificate'), undefined);
  });

  it('closes a connection when its certificate expires, with no store change, sweeping only when one is due', async () => {
    const { connections, calls, clock, recheck } = await setUp(0, { expirySweepMs: 5_000 });
    const soon = connections.add(record(1, { notAfter: T0 + 2_000 }));
    const sigv4 = connections.add(record(1, { notAfter: T0 + 2_000 }), 'sigv4');
    const later = connections.add(record(2, { notAfter: T0 + 60_000 }));
    assert.equal(await recheck.checkNow(), 0);
    assert.equal(connections.scans, 1, 'the first round sweeps');
    clock.at = T0 + 1_999;
    assert.equal(await recheck.checkNow(), 0);
    assert.equal(connections.scans, 1, 'no sweep before the earliest expiry');

    clock.at = T0 + 2_000;
    assert.equal(await recheck.checkNow(), 2);
    assert.equal(soon.closed, 'Certificate expired');
    assert.equal(sigv4.closed, 'Certificate expired');
    assert.equal(later.closed, undefined);

    // A newer connection whose certificate expires first is found by the periodic sweep.
    const newer = connections.add(record(3, { notAfter: T0 + 3_000 }));
    clock.at = T0 + 6_999;
    assert.equal(await recheck.checkNow(), 0);
    clock.at = T0 + 7_000;
    assert.equal(await recheck.checkNow(), 1);
    assert.equal(newer.closed, 'Certificate expired');
    assert.equal(later.closed, undefined);
    assert.deepEqual(Object.fromEntries(calls), { listCertificateChanges: 5 });
  });

  it('closes nothing while the store fails, and reads from the same place once it is back', async () => {
    const { store, records, connections, clock } = await setUp(10);
    let failing = true;
    const flaky: IdentityStore = new Proxy(store, {
      get(target, name) {
        if (name === 'listCertificateChanges' && failing) return async () => { throw new Error('database is gone'); };
        const value: unknown = Reflect.get(target, name, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    recheck?.stop();
    recheck = startCertificateRecheck({ identity: flaky, connections, logger: silentLogger(), intervalMs: 60_000, now: () => clock.at });
    clock.at += 500;
    await store.setCertificateStatus(records[2]!.id, 'REVOKED', clock.at);
    await assert.rejects(recheck.checkNow(), /database is gone/);
    // Gone for a minute, far longer than the overlap.
    clock.at += 60_000;
    failing = false;
    assert.equal(await recheck.checkNow(), 1);
    assert.deepEqual(connections.closedReasons(), { 'c-2': 'Certificate revoked' });
  });
});
