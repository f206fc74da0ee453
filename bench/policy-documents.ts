/**
 * The policies the policy microbenchmarks measure, as AWS policy JSON text: a realistic per-thing
 * certificate policy and a tenant default. Shared so bench/policy-eval.ts (the raw engine) and
 * bench/connection-policy.ts (a live ConnectionPolicy) measure the same documents.
 */

const thing = '${iot:Connection.Thing.ThingName}';

/** An agent's own topics, shadow and jobs, a retained config, and an explicit deny of admin topics. */
export const agentPolicyDocument = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Connect', Resource: `arn:aws:iot:*:*:client/${thing}`, Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } } },
    { Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: [`arn:aws:iot:*:*:topic/customer-1/${thing}/*`, `arn:aws:iot:*:*:topic/$aws/things/${thing}/shadow/*`, `arn:aws:iot:*:*:topic/$aws/things/${thing}/jobs/*`] },
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: [`arn:aws:iot:*:*:topicfilter/customer-1/${thing}/*`, `arn:aws:iot:*:*:topicfilter/$aws/things/${thing}/shadow/*`, `arn:aws:iot:*:*:topicfilter/$aws/things/${thing}/jobs/*`] },
    { Effect: 'Allow', Action: 'iot:RetainPublish', Resource: `arn:aws:iot:*:*:topic/customer-1/${thing}/config` },
    { Effect: 'Deny', Action: ['iot:Publish', 'iot:RetainPublish'], Resource: 'arn:aws:iot:*:*:topic/customer-1/*/admin/*' },
  ],
});

/** Broadcast for everyone; $aws/rules only from private addresses. */
export const tenantDefaultDocument = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: 'iot:Subscribe', Resource: 'topicfilter/broadcast/*' },
    { Effect: 'Allow', Action: 'iot:Receive', Resource: 'topic/broadcast/*' },
    { Effect: 'Deny', Action: 'iot:*', Resource: 'topic/$aws/rules/*', Condition: { NotIpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.168.0.0/16'] } } },
  ],
});
