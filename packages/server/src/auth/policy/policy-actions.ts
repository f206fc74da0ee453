/**
 * The IoT policy actions Gatehouse knows, the resource type each one is checked against, and the
 * expansion of `Action` patterns (`iot:*`, `iot:Publish*`) into concrete actions.
 */

/** What the resource of a check names; the policy resource `topic/a/b` has type `topic`. */
export type ResourceType = 'topic' | 'topicfilter' | 'client' | 'thing' | 'rolealias' | 'any';

/**
 * Every action a policy may name, with its resource type (AWS's "AWS IoT Core action resources").
 * `iot:ListNamedShadowsForThing` is checked on `thing/{thing}` (AWS checks it on `*`, which still
 * matches); `iot:ListRetainedMessages` has no resource of its own: it is checked on `*`.
 */
export const policyActions = {
  'iot:Connect': 'client',
  'iot:Publish': 'topic',
  'iot:Subscribe': 'topicfilter',
  'iot:Receive': 'topic',
  'iot:RetainPublish': 'topic',
  'iot:GetRetainedMessage': 'topic',
  'iot:ListRetainedMessages': 'any',
  'iot:DeleteConnection': 'client',
  'iot:GetThingShadow': 'thing',
  'iot:UpdateThingShadow': 'thing',
  'iot:DeleteThingShadow': 'thing',
  'iot:ListNamedShadowsForThing': 'thing',
  'iot:DescribeJobExecution': 'thing',
  'iot:GetPendingJobExecutions': 'thing',
  'iot:UpdateJobExecution': 'thing',
  'iot:StartNextPendingJobExecution': 'thing',
  'iot:AssumeRoleWithCertificate': 'rolealias',
} as const satisfies Record<string, ResourceType>;

/** An action a policy grants or denies, e.g. `'iot:Publish'`. */
export type PolicyAction = keyof typeof policyActions;

/** All actions, in catalogue order. */
export const allPolicyActions: readonly PolicyAction[] = Object.keys(policyActions) as PolicyAction[];

/** The job actions AWS also spells with the `iotjobsdata:` prefix. */
const jobActions = new Set<string>(['DescribeJobExecution', 'GetPendingJobExecutions', 'UpdateJobExecution', 'StartNextPendingJobExecution']);

/**
 * The text every check prepends to its resource name before matching policy resources: the name a
 * caller passes to `authorize` is what follows it (`iot:Publish` on `a/b` is `topic/a/b`).
 *
 * @example
 * resourcePrefix(policyActions['iot:Subscribe']); // 'topicfilter/'
 */
export function resourcePrefix(type: ResourceType): string {
  return type === 'any' ? '' : `${type}/`;
}

/**
 * Expands one `Action` entry into the actions it names. IAM compares actions case-insensitively and
 * lets `*` (any run of characters) and `?` (one character) stand in them; `iotjobsdata:` is AWS's
 * other prefix for the job actions. Returns an empty list when the entry names no known action.
 *
 * @example
 * expandActionPattern('iot:*Shadow');  // ['iot:GetThingShadow', 'iot:UpdateThingShadow', 'iot:DeleteThingShadow']
 * expandActionPattern('IOT:publish');  // ['iot:Publish']
 * expandActionPattern('iot:Publsh');   // []
 */
export function expandActionPattern(pattern: string): PolicyAction[] {
  const colon = pattern.indexOf(':');
  if (pattern === '*') return [...allPolicyActions];
  if (colon < 0) return [];
  const service = pattern.slice(0, colon).toLowerCase();
  const name = new RegExp(`^${globSource(pattern.slice(colon + 1))}$`, 'isu');
  const servicePattern = new RegExp(`^${globSource(service)}$`, 'isu');
  return allPolicyActions.filter((action) => {
    const actionName = action.slice('iot:'.length);
    if (!name.test(actionName)) return false;
    return servicePattern.test('iot') || (jobActions.has(actionName) && servicePattern.test('iotjobsdata'));
  });
}

function globSource(glob: string): string {
  return glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
}
