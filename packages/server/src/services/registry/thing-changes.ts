/**
 * What AWS's CreateThing and UpdateThing do to a thing record, as pure functions: the attribute
 * payload (replace, or merge where an empty value or null removes), the type and its removal, the
 * version. Validation of names and values is the API schema's; the limits and combinations are here.
 */
import { GatehouseError } from '../../core/index.js';
import type { ThingRecord } from '../../store/index.js';

/** Attributes per thing. AWS allows 50 on a thing with a type and 3 without; Gatehouse allows 50 on any. */
export const MAX_THING_ATTRIBUTES = 50;

/** AWS's AttributePayload; `null` as a value is Gatehouse's extra way to say "remove". */
export interface AttributePayload {
  readonly attributes?: Readonly<Record<string, string | null>>;
  /** Merge into the stored attributes instead of replacing them (UpdateThing, UpdateThingGroup). */
  readonly merge?: boolean;
}

export interface CreateThingRequest {
  readonly thingTypeName?: string;
  readonly attributePayload?: AttributePayload;
  readonly billingGroupName?: string;
}

export interface UpdateThingRequest {
  readonly thingTypeName?: string;
  readonly removeThingType?: boolean;
  readonly attributePayload?: AttributePayload;
  /** Refuse the update (VERSION_CONFLICT) unless the thing is at this version. */
  readonly expectedVersion?: number;
}

/**
 * The attributes after a payload: without `merge` the given map replaces the stored one; with it,
 * each key is set, and an empty value (AWS's way) or null removes it. No payload keeps them.
 *
 * @example
 * applyAttributePayload({ a: '1', b: '2' }, { attributes: { b: '', c: '3' }, merge: true }); // { a: '1', c: '3' }
 */
export function applyAttributePayload(current: Readonly<Record<string, string>>, payload: AttributePayload | undefined): Record<string, string> {
  if (payload?.attributes === undefined) return { ...current };
  const next: Record<string, string> = payload.merge === true ? { ...current } : {};
  for (const [name, value] of Object.entries(payload.attributes)) {
    if (value === null || value === '') delete next[name];
    else next[name] = value;
  }
  return next;
}

/** Throws BAD_REQUEST naming `action` when there are more than MAX_THING_ATTRIBUTES. */
export function checkAttributeCount(action: string, attributes: Readonly<Record<string, string>>): void {
  const count = Object.keys(attributes).length;
  if (count > MAX_THING_ATTRIBUTES) throw new GatehouseError('BAD_REQUEST', { reason: `${action}: ${count} attributes are more than the limit of ${MAX_THING_ATTRIBUTES}` });
}

/**
 * A new thing at version 1 (no groups: they are joined afterwards).
 *
 * @example
 * newThing('acme', 'agent-7', { thingTypeName: 'gateway' }, { now: Date.now(), thingId: randomUUID() });
 */
export function newThing(tenant: string, name: string, request: CreateThingRequest, options: { readonly now: number; readonly thingId: string }): ThingRecord {
  const attributes = applyAttributePayload({}, request.attributePayload === undefined ? undefined : { ...request.attributePayload, merge: false });
  checkAttributeCount(`Cannot create thing "${name}"`, attributes);
  return {
    tenant,
    name,
    thingId: options.thingId,
    ...(request.thingTypeName === undefined ? {} : { thingType: request.thingTypeName }),
    attributes,
    groups: [],
    ...(request.billingGroupName === undefined ? {} : { billingGroup: request.billingGroupName }),
    version: 1,
    createdAt: options.now,
    updatedAt: options.now,
  };
}

/** AWS's test for a repeated CreateThing: the same type, attributes and billing group succeed again. */
export function sameConfiguration(existing: ThingRecord, candidate: ThingRecord): boolean {
  const attributes = (thing: ThingRecord): string => JSON.stringify(Object.entries(thing.attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return existing.thingType === candidate.thingType && existing.billingGroup === candidate.billingGroup && attributes(existing) === attributes(candidate);
}

/**
 * The thing after an UpdateThing: one version on, every call (AWS increments per update). BAD_REQUEST
 * for a type given together with `removeThingType`, or for too many attributes.
 *
 * @example
 * updatedThing(current, { attributePayload: { attributes: { fw: '1.3' }, merge: true } }, Date.now()).version; // current.version + 1
 */
export function updatedThing(current: ThingRecord, request: UpdateThingRequest, now: number): ThingRecord {
  const action = `Cannot update thing "${current.name}"`;
  if (request.removeThingType === true && request.thingTypeName !== undefined) {
    throw new GatehouseError('BAD_REQUEST', { reason: `${action}: give thingTypeName or removeThingType, not both` });
  }
  const attributes = applyAttributePayload(current.attributes, request.attributePayload);
  checkAttributeCount(action, attributes);
  const { thingType: previousType, ...rest } = current;
  const thingType = request.removeThingType === true ? undefined : (request.thingTypeName ?? previousType);
  return { ...rest, ...(thingType === undefined ? {} : { thingType }), attributes, version: current.version + 1, updatedAt: now };
}
