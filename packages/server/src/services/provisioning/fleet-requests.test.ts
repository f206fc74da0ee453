import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCreateFromCsrRequest, parseCreateKeysRequest, parseRegisterThingRequest } from './fleet-requests.js';
import { ProvisioningRejection, encodeRejection } from './provisioning-rejection.js';

const json = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

function rejects(run: () => unknown, errorCode: string, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof ProvisioningRejection);
    assert.equal(error.errorCode, errorCode);
    assert.match(error.message, message);
    return true;
  });
}

test('CreateKeysAndCertificate takes an empty payload or a JSON object', () => {
  parseCreateKeysRequest(Buffer.alloc(0));
  parseCreateKeysRequest(json({}));
  rejects(() => parseCreateKeysRequest(json('not json')), 'InvalidPayload', /not valid JSON/);
  rejects(() => parseCreateKeysRequest(json([])), 'InvalidPayload', /must be a JSON object/);
});

test('CreateCertificateFromCsr needs certificateSigningRequest text', () => {
  assert.deepEqual(parseCreateFromCsrRequest(json({ certificateSigningRequest: 'PEM' })), { certificateSigningRequest: 'PEM' });
  rejects(() => parseCreateFromCsrRequest(json({})), 'InvalidPayload', /certificateSigningRequest/);
  rejects(() => parseCreateFromCsrRequest(json({ certificateSigningRequest: 42 })), 'InvalidPayload', /certificateSigningRequest/);
  rejects(() => parseCreateFromCsrRequest(Buffer.alloc(0)), 'InvalidPayload', /not valid JSON/);
});

test('RegisterThing: token and text parameters; the v2 SDK\'s templateName field is ignored', () => {
  assert.deepEqual(parseRegisterThingRequest(json({ templateName: 'factory', certificateOwnershipToken: 'tok', parameters: { SerialNumber: '42' } })), {
    certificateOwnershipToken: 'tok', parameters: { SerialNumber: '42' },
  });
  assert.deepEqual(parseRegisterThingRequest(json({ certificateOwnershipToken: 'tok' })).parameters, {});
});

test('RegisterThing without a token gets AWS\'s own answer', () => {
  for (const body of [{}, { certificateOwnershipToken: '' }, { certificateOwnershipToken: null }]) {
    assert.throws(() => parseRegisterThingRequest(json(body)), (error: unknown) => {
      assert.ok(error instanceof ProvisioningRejection);
      assert.deepEqual(error.toBody(), { statusCode: 400, errorCode: 'InvalidCertificateOwnershipToken', errorMessage: 'Certificate ownership token cannot be empty.' });
      return true;
    });
  }
});

test('RegisterThing refuses parameters that are not an object of text', () => {
  rejects(() => parseRegisterThingRequest(json({ certificateOwnershipToken: 1 })), 'InvalidPayload', /must be text/);
  rejects(() => parseRegisterThingRequest(json({ certificateOwnershipToken: 't', parameters: ['a'] })), 'InvalidPayload', /"parameters" must be an object/);
  rejects(() => parseRegisterThingRequest(json({ certificateOwnershipToken: 't', parameters: { Serial: 42 } })), 'InvalidPayload', /parameter "Serial" must be text/);
  rejects(() => parseRegisterThingRequest(json({ certificateOwnershipToken: 't', parameters: { Serial: 'x'.repeat(4097) } })), 'InvalidPayload', /longer than/);
});

test('rejections encode as AWS\'s JSON body, or as the same map in CBOR', () => {
  const rejection = new ProvisioningRejection('AccessDenied', 'No');
  assert.deepEqual(JSON.parse(encodeRejection(rejection, 'json').toString()), { statusCode: 403, errorCode: 'AccessDenied', errorMessage: 'No' });
  // a3 (map of 3) 6a "statusCode" 19 0193 (403) 69 "errorCode" 6c "AccessDenied" 6c "errorMessage" 62 "No"
  const expected = Buffer.concat([
    Buffer.from([0xa3, 0x6a]), Buffer.from('statusCode'), Buffer.from([0x19, 0x01, 0x93]),
    Buffer.from([0x69]), Buffer.from('errorCode'), Buffer.from([0x6c]), Buffer.from('AccessDenied'),
    Buffer.from([0x6c]), Buffer.from('errorMessage'), Buffer.from([0x62]), Buffer.from('No'),
  ]);
  assert.deepEqual(encodeRejection(rejection, 'cbor'), expected);
});
