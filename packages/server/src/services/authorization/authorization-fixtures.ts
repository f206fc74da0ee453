/**
 * Test support for the authorization tests: real certificates made by openssl, their registry
 * records, and the per-thing policy the agent topic layout uses. Not used at run time.
 */
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CertificateRecord, IdentityStore, ThingRecord } from '../../store/index.js';

/** A self-signed certificate with `subject` (openssl `-subj` form) and optional subjectAltName entries. */
export function opensslCertificate(subject: string, altNames?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-authz-'));
  try {
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', subject];
    if (altNames !== undefined) args.push('-addext', `subjectAltName=${altNames}`);
    execFileSync('openssl', args, { stdio: 'pipe' });
    return readFileSync(join(dir, 'cert.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Registers `pem` as an ACTIVE certificate of `tenant` attached to `thing`; returns its id. */
export async function registerCertificate(identity: IdentityStore, tenant: string, pem: string, thing?: string): Promise<string> {
  const x509 = new X509Certificate(pem);
  const id = createHash('sha256').update(x509.raw).digest('hex');
  const at = Date.now();
  const record: CertificateRecord = {
    id, tenant, status: 'ACTIVE', certificatePem: pem, caId: id, serialNumber: x509.serialNumber.toLowerCase(), subject: x509.subject.replace(/\n/g, ', '),
    notBefore: Date.parse(x509.validFrom), notAfter: Date.parse(x509.validTo), issuedBy: 'register', createdAt: at, updatedAt: at,
    ...(thing === undefined ? {} : { thing }),
  };
  await identity.putCertificate(record);
  return id;
}

export function thingRecord(tenant: string, name: string, extra: Partial<ThingRecord> = {}): ThingRecord {
  const at = Date.now();
  return { tenant, name, attributes: {}, groups: [], version: 1, createdAt: at, updatedAt: at, ...extra };
}

/** A policy document from statements, as JSON text. */
export function policyText(...statements: readonly Record<string, unknown>[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/** The per-thing policy of the agent topic layout `customer-id/device-id/subject`. */
export const perThingPolicy = policyText(
  { Effect: 'Allow', Action: 'iot:Connect', Resource: 'arn:aws:iot:*:*:client/${iot:Connection.Thing.ThingName}' },
  { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: 'arn:aws:iot:*:*:topic/customer-1/${iot:Connection.Thing.ThingName}/*' },
  { Effect: 'Allow', Action: 'iot:Subscribe', Resource: 'arn:aws:iot:*:*:topicfilter/customer-1/${iot:Connection.Thing.ThingName}/*' },
);

/**
 * The store with every call of one method going through `around` (given the real call and its
 * arguments); the other methods are the store's own.
 *
 * @example
 * const reads: string[] = [];
 * const counted = interceptStore(identity, 'getThing', (read, [tenant, name]) => (reads.push(`${tenant}/${name}`), read()));
 */
export function interceptStore<M extends 'getThing' | 'listPoliciesAttachedTo'>(
  store: IdentityStore, method: M, around: (call: () => ReturnType<IdentityStore[M]>, args: Parameters<IdentityStore[M]>) => ReturnType<IdentityStore[M]>,
): IdentityStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof value !== 'function') return value;
      const own = (value as (...args: unknown[]) => unknown).bind(target);
      if (property !== method) return own;
      return (...args: Parameters<IdentityStore[M]>) => around(() => own(...args) as ReturnType<IdentityStore[M]>, args);
    },
  });
}

/**
 * The store with the next call of `method` held after it has read (so it returns the state before
 * whatever happens meanwhile): `hold()` arms it and resolves once that read is done; `release()` lets it return.
 *
 * @example
 * const held = holdNextRead(store, 'getThing');
 * const reading = held.hold();
 * const decision = policies.authorize(event);   // reads the thing, then waits
 * await reading;                                 // change the store here
 * held.release();
 */
export function holdNextRead<M extends 'getThing' | 'listPoliciesAttachedTo'>(store: IdentityStore, method: M): { identity: IdentityStore; hold(): Promise<void>; release(): void } {
  let armed: { readonly wasRead: () => void; readonly released: Promise<void> } | undefined;
  let release: () => void = () => undefined;
  const identity = interceptStore(store, method, (call) => {
    const held = armed;
    armed = undefined;
    if (held === undefined) return call();
    const read: Promise<unknown> = call();
    return read.then(async (result) => {
      held.wasRead();
      await held.released;
      return result;
    }) as ReturnType<IdentityStore[M]>;
  });
  return {
    identity,
    hold: () => new Promise<void>((wasRead) => {
      armed = { wasRead, released: new Promise<void>((resolve) => (release = resolve)) };
    }),
    release: () => release(),
  };
}
