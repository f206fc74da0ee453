import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { GatehouseError } from '../../core/index.js';
import { evaluateTemplate, validateTemplate } from './template.js';

/** AWS's JITP example (developer guide, "Just-in-time provisioning"), as its `templateBody` string. */
const jitpTemplateBody = '{\r\n    "Parameters" : {\r\n        "AWS::IoT::Certificate::CommonName": {\r\n            "Type": "String"\r\n        },\r\n        "AWS::IoT::Certificate::SerialNumber": {\r\n            "Type": "String"\r\n        },\r\n        "AWS::IoT::Certificate::Country": {\r\n            "Type": "String"\r\n        },\r\n        "AWS::IoT::Certificate::Id": {\r\n            "Type": "String"\r\n        }\r\n    },\r\n    "Resources": {\r\n        "thing": {\r\n            "Type": "AWS::IoT::Thing",\r\n            "Properties": {\r\n                "ThingName": {\r\n                    "Ref": "AWS::IoT::Certificate::CommonName"\r\n                },\r\n                "AttributePayload": {\r\n                    "version": "v1",\r\n                    "serialNumber": {\r\n                        "Ref": "AWS::IoT::Certificate::SerialNumber"\r\n                    }\r\n                },\r\n                "ThingTypeName": "lightBulb-versionA",\r\n                "ThingGroups": [\r\n                    "v1-lightbulbs",\r\n                    {\r\n                        "Ref": "AWS::IoT::Certificate::Country"\r\n                    }\r\n                ]\r\n            },\r\n            "OverrideSettings": {\r\n                "AttributePayload": "MERGE",\r\n                "ThingTypeName": "REPLACE",\r\n                "ThingGroups": "DO_NOTHING"\r\n            }\r\n        },\r\n        "certificate": {\r\n            "Type": "AWS::IoT::Certificate",\r\n            "Properties": {\r\n                "CertificateId": {\r\n                    "Ref": "AWS::IoT::Certificate::Id"\r\n                },\r\n                "Status": "ACTIVE"\r\n            },\r\n            "OverrideSettings": {\r\n                "Status": "DO_NOTHING"\r\n            }\r\n        },\r\n        "policy": {\r\n            "Type": "AWS::IoT::Policy",\r\n            "Properties": {\r\n                "PolicyDocument": "{ \\"Version\\": \\"2012-10-17\\", \\"Statement\\": [{ \\"Effect\\": \\"Allow\\", \\"Action\\":[\\"iot:Publish\\"], \\"Resource\\": [\\"arn:aws:iot:us-east-1:123456789012:topic\\/foo\\/bar\\"] }] }"\r\n            }\r\n        }\r\n    }\r\n}';

/** AWS's fleet provisioning example (developer guide, "Provisioning templates"). */
const fleetTemplate = {
  Parameters: {
    ThingName: { Type: 'String' },
    SerialNumber: { Type: 'String' },
    DeviceLocation: { Type: 'String' },
  },
  Mappings: {
    LocationTable: {
      Seattle: { LocationUrl: 'https://example.aws' },
    },
  },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      Properties: {
        AttributePayload: { version: 'v1', serialNumber: 'serialNumber' },
        ThingName: { Ref: 'ThingName' },
        ThingTypeName: { 'Fn::Join': ['', ['ThingPrefix_', { Ref: 'SerialNumber' }]] },
        ThingGroups: ['v1-lightbulbs', 'WA'],
        BillingGroup: 'LightBulbBillingGroup',
      },
      OverrideSettings: { AttributePayload: 'MERGE', ThingTypeName: 'REPLACE', ThingGroups: 'DO_NOTHING' },
    },
    certificate: {
      Type: 'AWS::IoT::Certificate',
      Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'Active' },
    },
    policy: {
      Type: 'AWS::IoT::Policy',
      Properties: {
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['iot:Publish'], Resource: ['arn:aws:iot:us-east-1:123456789012:topic/foo/bar'] }],
        },
      },
    },
  },
  DeviceConfiguration: {
    FallbackUrl: 'https://www.example.com/test-site',
    LocationUrl: { 'Fn::FindInMap': ['LocationTable', { Ref: 'DeviceLocation' }, 'LocationUrl'] },
  },
};

const certificateId = 'a'.repeat(64);

function provisioningError(fn: () => unknown, code: string, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof GatehouseError, `expected a GatehouseError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('provisioning templates: AWS examples', () => {
  it('evaluates the JITP example from the subject parameters', () => {
    const body = JSON.parse(jitpTemplateBody) as unknown;
    assert.deepEqual(validateTemplate(body), []);
    const plan = evaluateTemplate(body, {
      'AWS::IoT::Certificate::CommonName': 'bulb-17',
      'AWS::IoT::Certificate::SerialNumber': '0a1b',
      'AWS::IoT::Certificate::Country': 'US',
    }, { certificateId });
    assert.deepEqual(plan.thing, {
      name: 'bulb-17',
      attributes: { version: 'v1', serialNumber: '0a1b' },
      thingType: 'lightBulb-versionA',
      groups: ['US', 'v1-lightbulbs'],
      overrides: { attributes: 'MERGE', thingType: 'REPLACE', groups: 'DO_NOTHING' },
    });
    assert.deepEqual(plan.certificate, { status: 'ACTIVE', override: 'DO_NOTHING', id: certificateId });
    const document = '{ "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Action":["iot:Publish"], "Resource": ["arn:aws:iot:us-east-1:123456789012:topic/foo/bar"] }] }';
    assert.deepEqual(plan.policies, [{ kind: 'inline', name: createHash('sha256').update(document).digest('hex'), document }]);
    assert.deepEqual(plan.deviceConfiguration, {});
  });

  it('fails JITP when the subject lacks a declared field', () => {
    provisioningError(
      () => evaluateTemplate(JSON.parse(jitpTemplateBody), { 'AWS::IoT::Certificate::CommonName': 'bulb-17', 'AWS::IoT::Certificate::SerialNumber': '0a1b' }, { certificateId }),
      'PROVISIONING_FAILED',
      /no value for parameter "AWS::IoT::Certificate::Country"/,
    );
  });

  it('evaluates the fleet provisioning example: Fn::Join, Fn::FindInMap, DeviceConfiguration', () => {
    assert.deepEqual(validateTemplate(fleetTemplate), []);
    const plan = evaluateTemplate(fleetTemplate, { ThingName: 'bulb-42', SerialNumber: '42', DeviceLocation: 'Seattle', Extra: 'ignored' }, { certificateId });
    assert.equal(plan.thing?.name, 'bulb-42');
    assert.equal(plan.thing?.thingType, 'ThingPrefix_42');
    assert.equal(plan.thing?.billingGroup, 'LightBulbBillingGroup');
    assert.deepEqual(plan.thing?.groups, ['WA', 'v1-lightbulbs']);
    assert.deepEqual(plan.certificate, { status: 'ACTIVE', override: 'DO_NOTHING', id: certificateId });
    const [policy] = plan.policies;
    assert.equal(policy?.kind, 'inline');
    assert.deepEqual(JSON.parse(policy?.kind === 'inline' ? policy.document : '{}'), fleetTemplate.Resources.policy.Properties.PolicyDocument);
    assert.deepEqual(plan.deviceConfiguration, { FallbackUrl: 'https://www.example.com/test-site', LocationUrl: 'https://example.aws' });
  });

  it('names the path when a mapping has no entry for the value', () => {
    provisioningError(
      () => evaluateTemplate(fleetTemplate, { ThingName: 'bulb-42', SerialNumber: '42', DeviceLocation: 'Oslo' }, { certificateId }),
      'PROVISIONING_FAILED',
      /DeviceConfiguration\.LocationUrl\.Fn::FindInMap: mapping "LocationTable" has no "Oslo" → "LocationUrl"/,
    );
  });

  it('reports the bulk-registration CSR form as unsupported, naming the path', () => {
    const problems = validateTemplate({
      Parameters: { CSR: { Type: 'String' } },
      Resources: { certificate: { Type: 'AWS::IoT::Certificate', Properties: { CertificateSigningRequest: { Ref: 'CSR' }, Status: 'ACTIVE' } } },
    });
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^Resources\.certificate\.Properties\.CertificateSigningRequest: is not supported/);
  });
});

describe('provisioning templates: validation', () => {
  it('names the path of a Ref to an unknown parameter', () => {
    assert.deepEqual(
      validateTemplate({ Resources: { thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'Serial' } } } } }),
      ['Resources.thing.Properties.ThingName: Ref to unknown parameter "Serial"'],
    );
  });

  it('lists every problem at once', () => {
    const problems = validateTemplate({
      Parameter: {},
      Parameters: { Size: { Type: 'Integer' } },
      Resources: {
        a: { Type: 'AWS::IoT::Thing', Properties: { ThingName: 'has space' }, OverrideSettings: { ThingTypeName: 'MERGE' } },
        b: { Type: 'AWS::IoT::Thing', Properties: { ThingName: 'ok' } },
        p: { Type: 'AWS::IoT::Policy', Properties: { PolicyName: 'x', PolicyDocument: '{}' }, OverrideSettings: {} },
        q: { Type: 'AWS::IoT::Policy', Properties: { PolicyDocument: 'not json' } },
        r: { Type: 'AWS::S3::Bucket' },
      },
      DeviceConfiguration: { nested: { a: 'b' }, joined: { 'Fn::Join': [',', { Ref: 'Missing' }] } },
    });
    const expected = [
      /^Parameter: unknown section/,
      /^Parameters\.Size\.Type: must be one of String, Number/,
      /^Resources\.a\.Properties\.ThingName: "has space" is not 1\.\.128/,
      /^Resources\.a\.OverrideSettings\.ThingTypeName: MERGE is valid only for AttributePayload and ThingGroups/,
      /^Resources\.p\.Properties: give PolicyName \(an existing policy\) or PolicyDocument, not both or neither/,
      /^Resources\.p\.OverrideSettings: OverrideSettings are not available for policy resources/,
      /^Resources\.q\.Properties\.PolicyDocument: is not a JSON object/,
      /^Resources\.r\.Type: must be one of AWS::IoT::Thing, AWS::IoT::Certificate, AWS::IoT::Policy/,
      /^Resources: declares 2 AWS::IoT::Thing resources \(a, b\)/,
      /^DeviceConfiguration\.nested: must be text/,
      /^DeviceConfiguration\.joined\.Fn::Join\[1\]: Ref to unknown parameter "Missing"/,
    ];
    for (const pattern of expected) assert.ok(problems.some((problem) => pattern.test(problem)), `no problem matches ${pattern}; got:\n${problems.join('\n')}`);
    assert.equal(problems.length, expected.length, problems.join('\n'));
  });

  it('requires Resources and an object body', () => {
    assert.deepEqual(validateTemplate([]), ['template: must be a JSON object']);
    assert.deepEqual(validateTemplate({}), ['Resources: is required']);
  });

  it('checks function shapes, mappings, conditions and Fn::Sub names', () => {
    const problems = validateTemplate({
      Parameters: { Name: { Type: 'String' } },
      Mappings: { M: { k: { v: { Ref: 'Name' } } } },
      Conditions: { Loop: { Condition: 'Loop' }, Bad: { 'Fn::Equals': ['a'] } },
      Resources: {
        thing: {
          Type: 'AWS::IoT::Thing',
          Condition: 'Nope',
          Properties: {
            ThingName: { 'Fn::Sub': '${Name}-${Other}-${!Literal}' },
            ThingTypeName: { 'Fn::Select': ['x', ['a']] },
            AttributePayload: { a: { 'Fn::GetAtt': ['x', 'y'] }, b: { 'Fn::If': ['Unknown', 'a', 'b'] }, c: { 'Fn::FindInMap': ['Nope', 'a', 'b'] } },
          },
        },
      },
    });
    const expected = [
      /^Mappings\.M\.k\.v: must be text, a number or a list of text/,
      /^Conditions\.Bad\.Fn::Equals: takes \[value, value\]/,
      /^Conditions\.Loop: refers to itself through Loop → Loop/,
      /^Resources\.thing\.Condition: unknown condition "Nope"/,
      /^Resources\.thing\.Properties\.ThingName\.Fn::Sub: \$\{Other\} names no parameter or variable/,
      /^Resources\.thing\.Properties\.ThingTypeName\.Fn::Select: index "x" is not a whole number/,
      /^Resources\.thing\.Properties\.AttributePayload\.a: unknown function "Fn::GetAtt"/,
      /^Resources\.thing\.Properties\.AttributePayload\.b\.Fn::If: unknown condition "Unknown"/,
      /^Resources\.thing\.Properties\.AttributePayload\.c\.Fn::FindInMap: unknown mapping "Nope"/,
    ];
    for (const pattern of expected) assert.ok(problems.some((problem) => pattern.test(problem)), `no problem matches ${pattern}; got:\n${problems.join('\n')}`);
    assert.equal(problems.length, expected.length, problems.join('\n'));
  });

  it('refuses to evaluate an invalid template with TEMPLATE_INVALID listing the problems', () => {
    provisioningError(
      () => evaluateTemplate({ Resources: { thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'Serial' } } } } }, {}),
      'TEMPLATE_INVALID',
      /Ref to unknown parameter "Serial"/,
    );
  });
});

describe('provisioning templates: evaluation', () => {
  const base = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    Parameters: { Name: { Type: 'String' }, Tags: { Type: 'CommaDelimitedList', Default: 'a,b' }, Size: { Type: 'Number', Default: 3 }, Env: { Type: 'String', Default: 'test', AllowedValues: ['test', 'prod'] } },
    Resources: { thing: { Type: 'AWS::IoT::Thing', Properties: { ThingName: { Ref: 'Name' }, ...properties } } },
    ...extra,
  });

  it('resolves Fn::Split, Fn::Select, Fn::Sub, list parameters and defaults', () => {
    const plan = evaluateTemplate(base({
      AttributePayload: {
        first: { 'Fn::Select': [0, { 'Fn::Split': ['-', { Ref: 'Name' }] }] },
        second: { 'Fn::Select': ['1', { Ref: 'Tags' }] },
        sub: { 'Fn::Sub': '${Name}/${Size}/${!iot:ClientId}' },
        subVars: { 'Fn::Sub': ['${Site}:${Tags}', { Site: { 'Fn::Join': ['.', ['x', { Ref: 'Env' }]] } }] },
        count: 7,
      },
      ThingGroups: { Ref: 'Tags' },
    }), { Name: 'plant-7' });
    assert.deepEqual(plan.thing?.attributes, { first: 'plant', second: 'b', sub: 'plant-7/3/${iot:ClientId}', subVars: 'x.test:a,b', count: '7' });
    assert.deepEqual(plan.thing?.groups, ['a', 'b']);
  });

  it('applies Conditions: Fn::If, AWS::NoValue and conditional resources', () => {
    const template = base({
      ThingTypeName: { 'Fn::If': ['IsProd', 'prod-type', { Ref: 'AWS::NoValue' }] },
      AttributePayload: { tier: { 'Fn::If': ['NotSmall', 'big', 'small'] } },
    }, {
      Conditions: {
        IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] },
        NotSmall: { 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Size' }, '1'] }] }] },
      },
    });
    (template.Resources as Record<string, unknown>)['policy'] = { Type: 'AWS::IoT::Policy', Condition: 'IsProd', Properties: { PolicyName: 'prod-policy' } };
    const test = evaluateTemplate(template, { Name: 'n1' });
    assert.equal(test.thing?.thingType, undefined);
    assert.deepEqual(test.thing?.attributes, { tier: 'small' });
    assert.deepEqual(test.policies, []);
    const prod = evaluateTemplate(template, { Name: 'n1', Env: 'prod', Size: '5' });
    assert.equal(prod.thing?.thingType, 'prod-type');
    assert.deepEqual(prod.thing?.attributes, { tier: 'big' });
    assert.deepEqual(prod.policies, [{ kind: 'existing', name: 'prod-policy' }]);
  });

  it('checks parameter values: Number, AllowedValues, AllowedPattern', () => {
    provisioningError(() => evaluateTemplate(base({}), { Name: 'n', Size: 'three' }), 'PROVISIONING_FAILED', /Parameters\.Size: "three" is not a number/);
    provisioningError(() => evaluateTemplate(base({}), { Name: 'n', Env: 'dev' }), 'PROVISIONING_FAILED', /Parameters\.Env: "dev" is not one of "test", "prod"/);
    const patterned = { Parameters: { Name: { Type: 'String', AllowedPattern: '[a-z]+' } }, Resources: {} };
    assert.doesNotThrow(() => evaluateTemplate(patterned, { Name: 'abc' }));
    provisioningError(() => evaluateTemplate(patterned, { Name: 'abc1' }), 'PROVISIONING_FAILED', /"abc1" does not match \[a-z\]\+/);
  });

  it('fails on an index out of range, a bad thing name and a list where text belongs', () => {
    provisioningError(() => evaluateTemplate(base({ ThingTypeName: { 'Fn::Select': [5, { Ref: 'Tags' }] } }), { Name: 'n' }), 'PROVISIONING_FAILED', /ThingTypeName\.Fn::Select: index 5 is outside the 2-item list/);
    provisioningError(() => evaluateTemplate(base({}), { Name: 'no spaces allowed' }), 'PROVISIONING_FAILED', /ThingName: "no spaces allowed" is not 1\.\.128/);
    provisioningError(() => evaluateTemplate(base({ ThingTypeName: { Ref: 'Tags' } }), { Name: 'n' }), 'PROVISIONING_FAILED', /ThingTypeName: expected text, got a list/);
  });

  it('takes AWS::IoT::Certificate::Id from the context, declared or not', () => {
    const template = { Resources: { certificate: { Type: 'AWS::IoT::Certificate', Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'INACTIVE' }, OverrideSettings: { Status: 'REPLACE' } } } };
    assert.deepEqual(evaluateTemplate(template, {}, { certificateId }).certificate, { status: 'INACTIVE', override: 'REPLACE', id: certificateId });
    provisioningError(() => evaluateTemplate(template, {}), 'PROVISIONING_FAILED', /parameter "AWS::IoT::Certificate::Id" has no value/);
  });

  it('plans no thing and an ACTIVE certificate for a template with neither', () => {
    assert.deepEqual(evaluateTemplate({ Resources: {} }, {}), { certificate: { status: 'ACTIVE', override: 'DO_NOTHING' }, policies: [], deviceConfiguration: {} });
  });
});
