/** AWS's CreateThing and UpdateThing rules as pure functions: attribute payloads, types, versions, limits. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ThingRecord } from '../../store/index.js';
import { applyAttributePayload, MAX_THING_ATTRIBUTES, newThing, sameConfiguration, updatedThing } from './thing-changes.js';
import { derivedId } from './registry-ids.js';

const thing: ThingRecord = { tenant: 'acme', name: 'agent-7', thingId: 'id-1', thingType: 'gateway', attributes: { a: '1', b: '2' }, groups: ['lab'], billingGroup: 'eu', version: 3, createdAt: 10, updatedAt: 20 };

describe('applyAttributePayload', () => {
  it('replaces without merge, merges with it, and an empty value or null removes', () => {
    assert.deepEqual(applyAttributePayload({ a: '1', b: '2' }, { attributes: { c: '3', d: '' } }), { c: '3' });
    assert.deepEqual(applyAttributePayload({ a: '1', b: '2' }, { attributes: { a: '', b: null, c: '3' }, merge: true }), { c: '3' });
    assert.deepEqual(applyAttributePayload({ a: '1' }, undefined), { a: '1' });
    assert.deepEqual(applyAttributePayload({ a: '1' }, { merge: true }), { a: '1' }, 'no attributes: nothing changes');
  });

  it('with merge, every key given ends up set or gone and every other key stays (property)', () => {
    const names = fc.constantFrom('a', 'b', 'c', 'd', 'e');
    fc.assert(fc.property(
      fc.dictionary(names, fc.string({ minLength: 1, maxLength: 3 })),
      fc.dictionary(names, fc.oneof(fc.constant(null), fc.constant(''), fc.string({ minLength: 1, maxLength: 3 }))),
      (current, given) => {
        const next = applyAttributePayload(current, { attributes: given, merge: true });
        for (const [name, value] of Object.entries(given)) assert.equal(next[name], value === null || value === '' ? undefined : value);
        for (const [name, value] of Object.entries(current)) if (!(name in given)) assert.equal(next[name], value);
        assert.ok(Object.values(next).every((value) => value !== ''), 'no attribute is ever empty');
      },
    ));
  });
});

describe('newThing and updatedThing', () => {
  it('creates at version 1 with no groups, and refuses more than 50 attributes', () => {
    assert.deepEqual(newThing('acme', 'x', { thingTypeName: 't', attributePayload: { attributes: { a: '1', gone: '' } }, billingGroupName: 'eu' }, { now: 5, thingId: 'id' }), {
      tenant: 'acme', name: 'x', thingId: 'id', thingType: 't', attributes: { a: '1' }, groups: [], billingGroup: 'eu', version: 1, createdAt: 5, updatedAt: 5,
    });
    const many = Object.fromEntries(Array.from({ length: MAX_THING_ATTRIBUTES + 1 }, (_, n) => [`k${n}`, 'v']));
    assert.throws(() => newThing('acme', 'x', { attributePayload: { attributes: many } }, { now: 5, thingId: 'id' }), { code: 'BAD_REQUEST', message: 'Invalid request: Cannot create thing "x": 51 attributes are more than the limit of 50' });
  });

  it('moves one version on per update, changes or removes the type, keeps groups and ids', () => {
    assert.deepEqual(updatedThing(thing, {}, 30), { ...thing, version: 4, updatedAt: 30 }, 'AWS counts every update');
    const untyped = updatedThing(thing, { removeThingType: true, attributePayload: { attributes: { c: '3' }, merge: true } }, 30);
    assert.equal('thingType' in untyped, false);
    assert.deepEqual(untyped.attributes, { a: '1', b: '2', c: '3' });
    assert.equal(updatedThing(thing, { thingTypeName: 'camera' }, 30).thingType, 'camera');
    assert.throws(() => updatedThing(thing, { thingTypeName: 'camera', removeThingType: true }, 30), { code: 'BAD_REQUEST', message: /give thingTypeName or removeThingType, not both/ });
  });

  it('calls a repeated create alike when type, attributes (in any order) and billing group match', () => {
    assert.equal(sameConfiguration(thing, { ...thing, attributes: { b: '2', a: '1' }, version: 1, groups: [] }), true);
    assert.equal(sameConfiguration(thing, { ...thing, attributes: { a: '1' } }), false);
    const { billingGroup: _eu, ...none } = thing;
    assert.equal(sameConfiguration(thing, none), false);
  });
});

describe('derivedId', () => {
  it('is UUID-shaped and the same for the same parts only', () => {
    assert.match(derivedId('thing', 'acme', 'agent-7'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(derivedId('thing', 'acme', 'agent-7'), derivedId('thing', 'acme', 'agent-7'));
    assert.notEqual(derivedId('thing', 'acme', 'agent-7'), derivedId('thing', 'acme', 'agent-8'));
    assert.notEqual(derivedId('thing', 'ac', 'meagent-7'), derivedId('thing', 'acme', 'agent-7'), 'parts are kept apart');
  });
});
