/**
 * The AWS-shaped identifiers of registry records: ARNs in Gatehouse's `arn:gatehouse:iot::{tenant}:...`
 * form (the tenant stands where AWS has the account), and ids for records made before ids were kept.
 */
import { createHash } from 'node:crypto';
import type { ThingGroupRecord, ThingRecord } from '../../store/index.js';

/** `arn:gatehouse:iot::{tenant}:{kind}/{name}`, kinds as AWS names them: thing, thinggroup, thingtype, billinggroup. */
export function registryArn(tenant: string, kind: 'thing' | 'thinggroup' | 'thingtype' | 'billinggroup', name: string): string {
  return `arn:gatehouse:iot::${tenant}:${kind}/${name}`;
}

/**
 * A UUID-shaped id that is always the same for the same parts: for records that have no id of their
 * own (things provisioned before the registry kept ids, in a memory store) and for membership ids.
 *
 * @example
 * derivedId('thing', 'acme', 'agent-7'); // the same 8-4-4-4-12 hex string every time
 */
export function derivedId(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\0')).digest('hex');
  // Shaped as a version 4 UUID so clients that validate the form accept it.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Number.parseInt(hex[16] ?? '0', 16) % 4]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function thingIdOf(thing: ThingRecord): string {
  return thing.thingId ?? derivedId('thing', thing.tenant, thing.name);
}

export function thingGroupIdOf(group: ThingGroupRecord): string {
  return group.thingGroupId ?? derivedId('thing-group', group.tenant, group.name);
}
