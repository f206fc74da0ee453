import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatehouseError } from '../../core/index.js';
import { allPolicyActions } from './policy-actions.js';
import { maxPolicyDocumentChars, parsePolicy, type ParsePolicyOptions } from './parse-policy.js';

const doc = (statement: unknown): string => JSON.stringify({ Version: '2012-10-17', Statement: statement });
const unversioned = (statement: unknown): string => JSON.stringify({ Statement: statement });

/** Asserts the document is refused with exactly this reason. */
function refused(text: string, reason: string, options?: ParsePolicyOptions): void {
  assert.throws(() => parsePolicy(text, options), (error: unknown) => {
    assert.ok(error instanceof GatehouseError);
    assert.equal(error.code, 'POLICY_INVALID');
    assert.equal(error.status, 400);
    assert.equal(error.params['reason'], reason);
    assert.equal(error.message, `Invalid policy document: ${reason}`);
    return true;
  });
}

describe('parsePolicy', () => {
  it('reads AWS\'s pub/sub example policy', () => {
    const policy = parsePolicy(doc([
      { Effect: 'Allow', Action: ['iot:Connect'], Resource: ['arn:aws:iot:us-east-1:*:client/clientId1'] },
      { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: ['arn:aws:iot:us-east-1:*:topic/some/specific/topic'] },
      { Effect: 'Allow', Action: ['iot:Subscribe'], Resource: ['arn:aws:iot:us-east-1:*:topicfilter/some/specific/topic'] },
    ]), { name: 'pubsub', tenant: 'acme' });
    assert.equal(policy.name, 'pubsub');
    assert.equal(policy.version, '2012-10-17');
    assert.equal(policy.statements.length, 3);
    assert.deepEqual(policy.statements[1]?.actions, ['iot:Publish', 'iot:Receive']);
    assert.equal(policy.statements[0]?.resources[0]?.text, 'arn:aws:iot:us-east-1:*:client/clientId1');
  });

  it('takes a single statement object, Sid, short forms and string values', () => {
    const policy = parsePolicy(doc({ Sid: 'one', Effect: 'Deny', Action: 'iot:Publish', Resource: 'topic/a' }));
    assert.equal(policy.statements[0]?.sid, 'one');
    assert.equal(policy.statements[0]?.effect, 'Deny');
  });

  it('expands action globs and is case-insensitive about actions, as IAM is', () => {
    const actionsOf = (action: unknown): readonly string[] => parsePolicy(doc({ Effect: 'Allow', Action: action, Resource: '*' })).statements[0]?.actions ?? [];
    assert.deepEqual(actionsOf('iot:*'), allPolicyActions);
    assert.deepEqual(actionsOf('*'), allPolicyActions);
    assert.deepEqual(actionsOf('iot:Publish*'), ['iot:Publish']);
    assert.deepEqual(actionsOf('iot:*ThingShadow'), ['iot:GetThingShadow', 'iot:UpdateThingShadow', 'iot:DeleteThingShadow']);
    assert.deepEqual(actionsOf('IOT:receive'), ['iot:Receive']);
    assert.deepEqual(actionsOf('iotjobsdata:*'), ['iot:DescribeJobExecution', 'iot:GetPendingJobExecutions', 'iot:UpdateJobExecution', 'iot:StartNextPendingJobExecution']);
    assert.deepEqual(actionsOf(['iot:Publish', 'iot:Publish']), ['iot:Publish']);
  });

  it('turns NotAction into every other action', () => {
    const statement = parsePolicy(doc({ Effect: 'Deny', NotAction: ['iot:Connect', 'iot:Receive'], Resource: '*' })).statements[0];
    assert.equal(statement?.actions.includes('iot:Connect'), false);
    assert.equal(statement?.actions.includes('iot:Publish'), true);
    assert.equal(statement?.actions.length, allPolicyActions.length - 2);
  });

  it('names the path and the fault of an unknown action', () => {
    refused(doc([{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' }, { Effect: 'Allow', Action: ['iot:Publish', 'iot:Publsh'], Resource: '*' }]),
      'Statement[1].Action[1]: unknown action "iot:Publsh"');
    refused(doc({ Effect: 'Allow', Action: 'iot:Publsh', Resource: '*' }), 'Statement.Action: unknown action "iot:Publsh"');
    refused(doc([{ Effect: 'Allow', Action: 'iot:Foo*', Resource: '*' }]), 'Statement[0].Action: "iot:Foo*" matches no action');
    refused(doc([{ Effect: 'Allow', Action: 'iot:CreateThing', Resource: '*' }]), 'Statement[0].Action: unknown action "iot:CreateThing"');
    refused(doc([{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }]), 'Statement[0].Action: unknown action "s3:GetObject"');
  });

  it('refuses malformed structure with the path', () => {
    refused('', 'the document is empty');
    refused('{"Version": ', 'not valid JSON (Unexpected end of JSON input)');
    refused('[]', 'the document must be a JSON object');
    refused(JSON.stringify({ Version: '2012-10-17', Statement: [], Extra: 1 }), 'Extra: is not a policy element (expected Version, Id, Statement)');
    refused(JSON.stringify({ Version: '2012-10-17' }), 'Statement: is missing');
    refused(doc([]), 'Statement: must have at least one statement');
    refused(doc(['x']), 'Statement[0]: must be an object');
    refused(doc('2013-01-01'), 'Statement: must be an object');
    refused(JSON.stringify({ Version: '2013-01-01', Statement: [] }), 'Version: must be "2012-10-17" or "2008-10-17", not "2013-01-01"');
    refused(doc([{ Effect: 'allow', Action: 'iot:Connect', Resource: '*' }]), 'Statement[0].Effect: must be "Allow" or "Deny", not "allow"');
    refused(doc([{ Effect: 'Allow', Resource: '*' }]), 'Statement[0]: needs Action or NotAction');
    refused(doc([{ Effect: 'Allow', Action: 'iot:Connect', NotAction: 'iot:Publish', Resource: '*' }]), 'Statement[0]: has both Action and NotAction; use one');
    refused(doc([{ Effect: 'Allow', Action: 'iot:Connect' }]), 'Statement[0]: needs Resource or NotResource');
    refused(doc([{ Effect: 'Allow', Action: [], Resource: '*' }]), 'Statement[0].Action: must not be empty');
    refused(doc([{ Effect: 'Allow', Action: ['iot:Connect', 3], Resource: '*' }]), 'Statement[0].Action[1]: must be a string');
    refused(doc([{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Principal: '*' }]), 'Statement[0].Principal: is not used in IoT policies: a policy applies to what it is attached to');
    refused(doc([{ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Sid: 7 }]), 'Statement[0].Sid: must be a string');
  });

  it('refuses resources that are not ARNs, short forms or *', () => {
    const resource = (text: string): string => doc([{ Effect: 'Allow', Action: 'iot:Publish', Resource: ['topic/ok', text] }]);
    refused(resource('a/b'), 'Statement[0].Resource[1]: "a/b" is neither "*", an ARN (arn:aws:iot:region:account:type/name) nor a short form (topic/..., topicfilter/..., client/..., thing/..., rolealias/...)');
    refused(resource('arn:aws:iot:us-east-1:topic/a'), 'Statement[0].Resource[1]: "arn:aws:iot:us-east-1:topic/a" is not an ARN: expected arn:aws:iot:region:account:type/name');
    refused(resource('arn:aws:s3:::bucket/a'), 'Statement[0].Resource[1]: "arn:aws:s3:::bucket/a" is not an AWS IoT resource: service "s3" is not "iot"');
    refused(resource('arn:aws:iot:us-east-1::topic/a'), 'Statement[0].Resource[1]: "arn:aws:iot:us-east-1::topic/a" has an empty account: write "*" or the tenant\'s id');
    refused(resource('arn:aws:iot:us-east-1:*:topik/a'), 'Statement[0].Resource[1]: "arn:aws:iot:us-east-1:*:topik/a" names an unknown resource type "topik" (expected topic, topicfilter, client, thing or rolealias)');
    refused(resource('arn:aws:iot:us-east-1:${iot:ClientId}:topic/a'), 'Statement[0].Resource[1]: "arn:aws:iot:us-east-1:${iot:ClientId}:topic/a": policy variables cannot stand in the account field');
    refused(resource('topic/${iot:ClientID2}'), 'Statement[0].Resource[1]: unknown policy variable or condition key "iot:ClientID2"');
    refused(resource(''), 'Statement[0].Resource[1]: resource is empty');
  });

  it('accepts ARN wildcards, whatever the region, and short ARNs ending in *', () => {
    for (const text of ['arn:aws:iot:*:*:*', 'arn:aws:iot:*', 'arn:aws-cn:iot:cn-north-1:acme:topic/a', 'arn:aws:io?:eu-west-1:ac*:thing/x', 'arn:aws:iot:us-east-1:*:topic/a:b']) {
      assert.doesNotThrow(() => parsePolicy(doc({ Effect: 'Allow', Action: 'iot:*', Resource: text }), { tenant: 'acme' }), text);
    }
  });

  it('refuses an account that cannot be the tenant\'s, when the tenant is known', () => {
    const text = doc({ Effect: 'Allow', Action: 'iot:Publish', Resource: 'arn:aws:iot:us-east-1:123456789012:topic/a' });
    refused(text, 'Statement.Resource: account "123456789012" is neither "*" nor this tenant\'s id "acme"', { tenant: 'acme' });
    assert.doesNotThrow(() => parsePolicy(text));
    assert.doesNotThrow(() => parsePolicy(text, { tenant: '123456789012' }));
  });

  it('refuses unknown condition operators and keys, and values that do not fit the operator', () => {
    const condition = (block: unknown): string => doc({ Effect: 'Allow', Action: 'iot:Connect', Resource: '*', Condition: block });
    refused(condition({ StringMatches: { 'iot:ClientId': 'a' } }), 'Statement.Condition.StringMatches: unknown condition operator "StringMatches"');
    refused(condition({ 'ForSomeValues:StringEquals': { 'iot:ClientId': 'a' } }), 'Statement.Condition.ForSomeValues:StringEquals: unknown set operator "ForSomeValues" in "ForSomeValues:StringEquals" (expected ForAnyValue or ForAllValues)');
    refused(condition({ NullIfExists: { 'iot:ClientId': 'true' } }), 'Statement.Condition.NullIfExists: "NullIfExists": Null takes neither IfExists nor ForAnyValue/ForAllValues');
    refused(condition({ StringEquals: { 'iot:Client': 'a' } }), 'Statement.Condition.StringEquals.iot:Client: unknown policy variable or condition key "iot:Client"');
    refused(condition({ NumericLessThan: { 'aws:EpochTime': 'soon' } }), 'Statement.Condition.NumericLessThan.aws:EpochTime: "soon" is not a number');
    refused(condition({ DateLessThan: { 'aws:CurrentTime': 'tomorrow' } }), 'Statement.Condition.DateLessThan.aws:CurrentTime: "tomorrow" is not a date (ISO 8601 or epoch seconds)');
    refused(condition({ IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } }), 'Statement.Condition.IpAddress.aws:SourceIp: "10.0.0.0/33" is not an IP address or CIDR block');
    refused(condition({ Bool: { 'iot:Connection.Thing.IsAttached': 'yes' } }), 'Statement.Condition.Bool.iot:Connection.Thing.IsAttached: "yes" is neither "true" nor "false"');
    refused(condition({ StringEquals: { 'iot:ClientId': [] } }), 'Statement.Condition.StringEquals.iot:ClientId: must have at least one value');
    refused(condition({ StringEquals: { 'iot:ClientId': [{}] } }), 'Statement.Condition.StringEquals.iot:ClientId: values must be strings, numbers or booleans');
    refused(condition({ StringEquals: {} }), 'Statement.Condition.StringEquals: must be an object of condition keys and values');
    refused(condition({ IpAddress: { 'aws:SourceIp': '${iot:ClientId}' } }), 'Statement.Condition.IpAddress.aws:SourceIp: policy variables can only be used with String operators, not IpAddress');
    refused(condition([]), 'Statement.Condition: must be an object of operators');
  });

  it('treats a missing Version as 2008-10-17 and refuses variables there, rather than comparing them as text', () => {
    assert.equal(parsePolicy(unversioned({ Effect: 'Allow', Action: 'iot:Connect', Resource: '*' })).version, '2008-10-17');
    refused(unversioned({ Effect: 'Allow', Action: 'iot:Connect', Resource: 'client/${iot:ClientId}' }),
      'Statement.Resource: policy variables such as "${iot:ClientId}" need "Version": "2012-10-17"');
  });

  it('limits the document to 2048 characters besides white space, as AWS does', () => {
    const base = doc({ Effect: 'Allow', Action: 'iot:Publish', Resource: 'topic/' });
    const fill = maxPolicyDocumentChars - base.length;
    const fits = doc({ Effect: 'Allow', Action: 'iot:Publish', Resource: `topic/${'a'.repeat(fill)}` });
    assert.doesNotThrow(() => parsePolicy(JSON.stringify(JSON.parse(fits), null, 8)));
    const over = doc({ Effect: 'Allow', Action: 'iot:Publish', Resource: `topic/${'a'.repeat(fill + 1)}` });
    refused(over, `the document has ${maxPolicyDocumentChars + 1} characters besides white space, over the limit of 2048`);
    assert.doesNotThrow(() => parsePolicy(over, { maxDocumentChars: 4096 }));
  });
});
