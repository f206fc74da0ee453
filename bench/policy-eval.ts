/**
 * Microbenchmark of the policy engine's per-message check (`authorize`) with a realistic per-thing
 * policy, and of the per-connection bind. No broker, no decision cache: the raw engine.
 *
 *   node --import tsx bench/policy-eval.ts            prints checks/s and binds/s
 */
import { performance } from 'node:perf_hooks';
import {
  authorize, bindPolicySet, compilePolicies, parsePolicy, type PolicyAction, type PolicyContext,
} from '../packages/server/src/auth/index.js';
import { agentPolicyDocument, tenantDefaultDocument } from './policy-documents.js';

const agentPolicy = parsePolicy(agentPolicyDocument, { name: 'agent', tenant: 'acme' });
const tenantDefault = parsePolicy(tenantDefaultDocument, { name: 'tenant-default', tenant: 'acme' });

const compiled = compilePolicies([agentPolicy, tenantDefault]);
const context = (n: number): PolicyContext => ({
  tenant: 'acme', clientId: `agent-${n}`, thingName: `agent-${n}`, isAttached: true, sourceIp: '203.0.113.9', now: Date.now(),
});
const bound = bindPolicySet(compiled, context(7));

/** A mix like an agent's traffic: mostly its own topics, some shadow and broadcast, some refusals. */
const checks: Array<[PolicyAction, string]> = [
  ['iot:Publish', 'customer-1/agent-7/telemetry'],
  ['iot:Receive', 'customer-1/agent-7/commands/reboot'],
  ['iot:Publish', '$aws/things/agent-7/shadow/update'],
  ['iot:Receive', '$aws/things/agent-7/shadow/update/delta'],
  ['iot:Receive', 'broadcast/firmware'],
  ['iot:Publish', 'customer-1/agent-7/admin/reset'],
  ['iot:Publish', 'customer-1/agent-8/telemetry'],
  ['iot:Subscribe', 'customer-1/agent-7/#'],
  ['iot:RetainPublish', 'customer-1/agent-7/config'],
  ['iot:Receive', '$aws/things/agent-7/jobs/notify-next'],
];
const expected = checks.map(([action, resource]) => authorize(bound, action, resource).allowed);
console.log('decisions:', checks.map(([action, resource], i) => `${action} ${resource} → ${expected[i] ? 'allow' : 'deny'}`).join('\n           '));

function measure(label: string, iterations: number, body: (i: number) => void): number {
  for (let i = 0; i < Math.min(iterations, 200_000); i++) body(i);
  const start = performance.now();
  for (let i = 0; i < iterations; i++) body(i);
  const seconds = (performance.now() - start) / 1000;
  const rate = iterations / seconds;
  console.log(`${label}: ${Math.round(rate).toLocaleString('en-US')}/s (${iterations.toLocaleString('en-US')} in ${seconds.toFixed(2)} s)`);
  return rate;
}

let allowed = 0;
const perCheck = measure('authorize, mixed checks', 10_000_000, (i) => {
  const check = checks[i % checks.length] as [PolicyAction, string];
  if (authorize(bound, check[0], check[1]).allowed) allowed++;
});
if (allowed === 0) throw new Error('no check was allowed: the benchmark measures nothing');

// The brief asks whether a RegExp per bound resource is slower than the prefix test compileGlob picks.
const prefix = 'customer-1/agent-7/';
const asRegExp = /^customer-1\/agent-7\/.*$/su;
const topics = checks.map(([, resource]) => resource);
let hits = 0;
measure('prefix resource, startsWith', 10_000_000, (i) => { if ((topics[i % topics.length] as string).startsWith(prefix)) hits++; });
measure('prefix resource, RegExp.test', 10_000_000, (i) => { if (asRegExp.test(topics[i % topics.length] as string)) hits++; });

measure('bindPolicySet, per connection', 50_000, (i) => { if (bindPolicySet(compiled, context(i)).actions['iot:Publish'].allow.length === 0) hits--; });
console.log(`checks/s: ${Math.round(perCheck).toLocaleString('en-US')} (target: well over 1,000,000)`);
