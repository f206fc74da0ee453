import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GatehouseError } from '../core/index.js';
import { toErrorAnswer } from './errors.js';

test('a GatehouseError keeps its code, message and status', () => {
  assert.deepEqual(toErrorAnswer(new GatehouseError('NOT_FOUND', { what: 'Client', id: 'a' })), {
    status: 404,
    body: { code: 'NOT_FOUND', message: 'Client "a" was not found' },
  });
});

test('anything unexpected is a 500 INTERNAL that leaks nothing', () => {
  const answer = toErrorAnswer(new Error('connection string postgres://user:secret@db'));
  assert.deepEqual(answer, { status: 500, body: { code: 'INTERNAL', message: 'Internal error' } });
  assert.deepEqual(toErrorAnswer('a thrown string'), answer);
});

test('a validation error names the part and field', () => {
  const error = Object.assign(new Error('body/qos must be equal to one of the allowed values'), {
    statusCode: 400,
    validationContext: 'body',
    validation: [{ keyword: 'enum', instancePath: '/qos', schemaPath: '#/properties/qos/enum', params: {}, message: 'must be equal to one of the allowed values' }],
  });
  assert.deepEqual(toErrorAnswer(error).body, { code: 'BAD_REQUEST', message: 'Invalid request: body.qos must be equal to one of the allowed values' });
});
