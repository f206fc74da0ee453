/**
 * Microbenchmark of what the broker calls per packet with policies on: a live ConnectionPolicy's
 * `mayPublish` / `maySubscribe` / `mayReceive` (from `createPolicyAuthorizer`), for an agent bound to
 * a realistic per-thing certificate policy plus a tenant default; and of `authorize` (CONNECT:
 * resolve from the in-memory store, compile from cache, bind). No broker, no decision cache.
 *
 *   node --import tsx bench/connection-policy.ts       prints ns per check and µs per connect
 */
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../packages/server/src/core/index.js';
import { createPolicyAuthorizer, type PolicyAuthorizer } from '../packages/server/src/services/index.js';
import { MemoryIdentityStore } from '../packages/server/src/store/index.js';
import type { Principal } from '../packages/server/src/auth/index.js';
import { agentPolicyDocument, tenantDefaultDocument } from './policy-documents.js';

const identity = new MemoryIdentityStore();
const at = Date.now();
await identity.createPolicy('acme', 'agent', agentPolicyDocument, at);
await identity.createPolicy('acme', 'tenant-default', tenantDefaultDocument, at);
await identity.attachPolicy('acme', 'tenant-default', { kind: 'tenant', id: 'acme' });
const agents = Number(process.env.AGENTS ?? 2000);
for (let n = 0; n < agents; n++) {
  const name = `agent-${n}`;
  await identity.putThing({ tenant: 'acme', name, attributes: { site: 'lyon' }, groups: [], version: 1, createdAt: at, updatedAt: at });
  await identity.putCertificate({
    id: `cert-${n}`, tenant: 'acme', thing: name, status: 'ACTIVE', certificatePem: '', caId: 'ca', serialNumber: n.toString(16),
    subject: `CN=${name}`, notBefore: at, notAfter: at + 86_400_000, issuedBy: 'gatehouse', createdAt: at, updatedAt: at,
  });
  await identity.attachPolicy('acme', 'agent', { kind: 'certificate', id: `cert-${n}` });
}
const principal = (n: number): Principal => ({ kind: 'certificate', tenant: 'acme', certificateId: `cert-${n}`, thingName: `agent-${n}`, clientId: `agent-${n}`, sourceIp: '203.0.113.9', attributes: {} });
const peer = { transport: 'tls' as const, remoteAddress: '203.0.113.9', remotePort: 1, localPort: 8883, listener: 'mqtts' };

const authorizer: PolicyAuthorizer = createPolicyAuthorizer({ identity, logger: silentLogger(), intervalMs: 60_000 });
const connectStart = performance.now();
const policies = [];
for (let n = 0; n < agents; n++) {
  const decision = await authorizer.authorize({ principal: principal(n), clientId: `agent-${n}`, peer, cleanStart: true });
  if (decision.kind !== 'allow' || decision.policy === undefined) throw new Error(`agent-${n} was not allowed`);
  policies.push(decision.policy);
}
const connectUs = ((performance.now() - connectStart) * 1000) / agents;
const policy = policies[7]!;

type Check = () => boolean;
const checks: Array<[string, Check]> = [
  ['mayPublish own topic', () => policy.mayPublish('customer-1/agent-7/telemetry', false)],
  ['mayPublish own shadow', () => policy.mayPublish('$aws/things/agent-7/shadow/update', false)],
  ['mayPublish retained config', () => policy.mayPublish('customer-1/agent-7/config', true)],
  ['mayPublish other agent (deny)', () => policy.mayPublish('customer-1/agent-8/telemetry', false)],
  ['mayPublish admin (explicit deny)', () => policy.mayPublish('customer-1/agent-7/admin/reset', false)],
  ['maySubscribe own filter', () => policy.maySubscribe('customer-1/agent-7/#')],
  ['mayReceive broadcast', () => policy.mayReceive('broadcast/all')],
  ['mayReceive own commands', () => policy.mayReceive('customer-1/agent-7/commands')],
];

function measure(check: Check, iterations: number): number {
  let allowed = 0;
  const start = performance.now();
  for (let i = 0; i < iterations; i++) if (check()) allowed++;
  const ns = ((performance.now() - start) * 1e6) / iterations;
  if (allowed < 0) throw new Error('unreachable');
  return ns;
}

for (const [, check] of checks) measure(check, 200_000);
console.log(`connect (resolve + compile-cache + bind + iot:Connect), ${agents} agents: ${connectUs.toFixed(1)} µs each`);
for (const [name, check] of checks) console.log(`${name.padEnd(34)} ${measure(check, 2_000_000).toFixed(1)} ns/check`);
const mixStart = performance.now();
const rounds = 500_000;
for (let i = 0; i < rounds; i++) for (const [, check] of checks) check();
console.log(`${'mix of the above'.padEnd(34)} ${(((performance.now() - mixStart) * 1e6) / (rounds * checks.length)).toFixed(1)} ns/check`);
authorizer.stop();
