import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bindCondition, evaluateCondition } from './condition-eval.js';
import { parseConditionBlock } from './parse-condition.js';
import type { PolicyContext } from './policy-context.js';
import type { KeyValue } from './policy-variables.js';

const context: PolicyContext = { tenant: 'acme', clientId: 'agent-7', thingName: 'agent-7', now: 0 };

/** Evaluates `{ operator: { key: values } }` on a given key value. */
function holds(operator: string, values: unknown, value: KeyValue, key = 'iot:ClientId'): boolean {
  const parsed = parseConditionBlock({ [operator]: { [key]: values } }, 'Condition', { variables: true });
  assert.ok(Array.isArray(parsed), JSON.stringify(parsed));
  const [condition] = parsed;
  assert.ok(condition);
  const bound = bindCondition(condition, context);
  assert.ok(bound, 'variables resolve');
  return evaluateCondition(bound, value);
}

describe('string operators', () => {
  it('compare exactly, ignoring case, or with * and ? wildcards', () => {
    assert.equal(holds('StringEquals', 'agent-7', 'agent-7'), true);
    assert.equal(holds('StringEquals', 'agent-7', 'Agent-7'), false);
    assert.equal(holds('StringEquals', ['a', 'agent-7'], 'agent-7'), true);
    assert.equal(holds('StringEquals', 'agent-*', 'agent-7'), false, 'StringEquals takes * literally');
    assert.equal(holds('StringEqualsIgnoreCase', 'AGENT-7', 'agent-7'), true);
    assert.equal(holds('StringLike', 'agent-*', 'agent-7'), true);
    assert.equal(holds('StringLike', 'agent-?', 'agent-77'), false);
    assert.equal(holds('StringLike', 'a${*}', 'a*'), true);
    assert.equal(holds('StringLike', 'a${*}', 'ab'), false);
  });

  it('negate: true when no value matches', () => {
    assert.equal(holds('StringNotEquals', ['a', 'b'], 'c'), true);
    assert.equal(holds('StringNotEquals', ['a', 'b'], 'b'), false);
    assert.equal(holds('StringNotEqualsIgnoreCase', 'A', 'a'), false);
    assert.equal(holds('StringNotLike', 'agent-*', 'robot-1'), true);
    assert.equal(holds('StringNotLike', 'agent-*', 'agent-1'), false);
  });

  it('substitute variables in values', () => {
    assert.equal(holds('StringEquals', '${iot:Connection.Thing.ThingName}', 'agent-7'), true);
    assert.equal(holds('StringLike', 'customer-1/${iot:ClientId}/*', 'customer-1/agent-7/x'), true);
  });

  it('do not hold when a value\'s variable does not resolve, whatever the operator', () => {
    for (const operator of ['StringEquals', 'StringNotEquals', 'StringLike', 'StringNotLike']) {
      const parsed = parseConditionBlock({ [operator]: { 'iot:ClientId': '${iot:Connection.Thing.ThingTypeName}' } }, 'Condition', { variables: true });
      assert.ok(Array.isArray(parsed) && parsed[0]);
      assert.equal(bindCondition(parsed[0], context), undefined, operator);
    }
  });
});

describe('absent keys (IAM)', () => {
  it('fail plain operators and satisfy negated ones', () => {
    assert.equal(holds('StringEquals', 'a', undefined), false);
    assert.equal(holds('StringLike', '*', undefined), false);
    assert.equal(holds('StringNotEquals', 'a', undefined), true);
    assert.equal(holds('NotIpAddress', '10.0.0.0/8', undefined, 'aws:SourceIp'), true);
    assert.equal(holds('IpAddress', '0.0.0.0/0', undefined, 'aws:SourceIp'), false);
  });

  it('satisfy ...IfExists, and Null tests for them', () => {
    assert.equal(holds('StringEqualsIfExists', 'a', undefined), true);
    assert.equal(holds('StringEqualsIfExists', 'a', 'b'), false);
    assert.equal(holds('Null', 'true', undefined), true);
    assert.equal(holds('Null', 'true', 'x'), false);
    assert.equal(holds('Null', 'false', 'x'), true);
    assert.equal(holds('Null', false, undefined), false);
    assert.equal(holds('Null', 'true', []), true, 'an empty list is absent');
  });

  it('satisfy ForAllValues and fail ForAnyValue', () => {
    assert.equal(holds('ForAllValues:StringEquals', 'a', undefined), true);
    assert.equal(holds('ForAnyValue:StringEquals', 'a', undefined), false);
    assert.equal(holds('ForAnyValue:StringEqualsIfExists', 'a', undefined), true);
  });
});

describe('keys with many values', () => {
  const key = 'iot:Certificate.Subject.Organization.List';
  it('ForAnyValue: one value matching is enough', () => {
    assert.equal(holds('ForAnyValue:StringEquals', ['acme'], ['other', 'acme'], key), true);
    assert.equal(holds('ForAnyValue:StringEquals', ['acme'], ['other'], key), false);
    assert.equal(holds('ForAnyValue:StringNotEquals', ['acme'], ['acme', 'other'], key), true);
  });

  it('ForAllValues: every value must match one of the policy\'s', () => {
    assert.equal(holds('ForAllValues:StringEquals', ['acme', 'acme-eu'], ['acme', 'acme-eu'], key), true);
    assert.equal(holds('ForAllValues:StringEquals', ['acme'], ['acme', 'other'], key), false);
    assert.equal(holds('ForAllValues:StringNotLike', ['bad*'], ['acme', 'good'], key), true);
    assert.equal(holds('ForAllValues:StringNotLike', ['bad*'], ['acme', 'bad-1'], key), false);
  });

  it('without a set operator: plain operators need one match, negated ones none', () => {
    assert.equal(holds('StringEquals', 'acme', ['x', 'acme'], key), true);
    assert.equal(holds('StringNotEquals', 'acme', ['x', 'acme'], key), false);
    assert.equal(holds('StringNotEquals', 'acme', ['x', 'y'], key), true);
  });
});

describe('numeric, date, bool and IP operators', () => {
  it('compare numbers, and refuse text that is none', () => {
    assert.equal(holds('NumericEquals', '10', '10.0', 'iot:Connection.Thing.Attributes[n]'), true);
    assert.equal(holds('NumericLessThan', 10, '9', 'iot:Connection.Thing.Attributes[n]'), true);
    assert.equal(holds('NumericLessThanEquals', 10, '10', 'iot:Connection.Thing.Attributes[n]'), true);
    assert.equal(holds('NumericGreaterThan', 10, '10', 'iot:Connection.Thing.Attributes[n]'), false);
    assert.equal(holds('NumericGreaterThanEquals', '-1.5', '-1', 'iot:Connection.Thing.Attributes[n]'), true);
    assert.equal(holds('NumericNotEquals', 10, '11', 'iot:Connection.Thing.Attributes[n]'), true);
    assert.equal(holds('NumericEquals', 10, 'ten', 'iot:Connection.Thing.Attributes[n]'), false);
    assert.equal(holds('NumericNotEquals', 10, 'ten', 'iot:Connection.Thing.Attributes[n]'), false);
  });

  it('compare times: aws:CurrentTime as a date, aws:EpochTime as seconds', () => {
    const at = Date.UTC(2025, 0, 1, 12);
    assert.equal(holds('DateLessThan', '2025-01-02T00:00:00Z', at, 'aws:CurrentTime'), true);
    assert.equal(holds('DateGreaterThan', '2025-01-02T00:00:00Z', at, 'aws:CurrentTime'), false);
    assert.equal(holds('DateGreaterThanEquals', String(at / 1000), at, 'aws:CurrentTime'), true);
    assert.equal(holds('DateEquals', '2025-01-01T12:00:00Z', at, 'aws:EpochTime'), true);
    assert.equal(holds('NumericLessThan', at / 1000 + 1, at, 'aws:EpochTime'), true);
    assert.equal(holds('NumericEquals', at / 1000, at + 999, 'aws:EpochTime'), true);
    assert.equal(holds('StringLike', '2025-01-01T*', at, 'aws:CurrentTime'), true);
    assert.equal(holds('DateLessThan', '2031-01-01T00:00:00Z', '2030-01-01T00:00:00.000Z', 'iot:Certificate.NotAfter'), true);
  });

  it('compare booleans case-insensitively', () => {
    assert.equal(holds('Bool', 'true', 'true', 'iot:Connection.Thing.IsAttached'), true);
    assert.equal(holds('Bool', true, 'TRUE', 'iot:Connection.Thing.IsAttached'), true);
    assert.equal(holds('Bool', 'true', 'false', 'iot:Connection.Thing.IsAttached'), false);
    assert.equal(holds('Bool', 'true', 'maybe', 'iot:Connection.Thing.IsAttached'), false);
  });

  it('test addresses against CIDR blocks', () => {
    assert.equal(holds('IpAddress', '123.45.167.89', '123.45.167.89', 'aws:SourceIp'), true);
    assert.equal(holds('IpAddress', ['10.0.0.0/8', '2001:db8::/32'], '2001:db8::7', 'aws:SourceIp'), true);
    assert.equal(holds('NotIpAddress', ['10.0.0.0/8'], '203.0.113.9', 'aws:SourceIp'), true);
    assert.equal(holds('NotIpAddress', ['10.0.0.0/8'], '10.1.1.1', 'aws:SourceIp'), false);
    assert.equal(holds('IpAddress', ['0.0.0.0/0'], 'not-an-ip', 'aws:SourceIp'), false);
  });
});
