/** `gatehouse policy test`: what a principal's policies decide for one action on one resource (POST /v1/test-authorization). */
import { InvalidArgumentError, type Command } from 'commander';
import { adminAction, adminGroup } from '../admin-command.js';
import type { TestAuthorizationJson } from '../api-types.js';

const principalKinds = ['certificate', 'sigv4', 'token', 'password', 'anonymous', 'service'];

/**
 * Adds `test` to the `policy` command group, creating the group when no other module has yet, so
 * it sits beside the policy commands whichever registers first.
 *
 * @example
 * registerPolicyTestCommand(program);
 * // gatehouse policy test --tenant acme --certificate <id> --client-id agent-7 --action iot:Publish --resource topic/customer-1/agent-7/status
 */
export function registerPolicyTestCommand(program: Command): void {
  const group = program.commands.find((command) => command.name() === 'policy') ?? adminGroup(program, 'policy', 'IoT policies');
  adminAction(
    group.command('test')
      .description("decide an action on a resource with a principal's policies and show which statement decided (AWS TestAuthorization)")
      .requiredOption('--tenant <tenant>', 'tenant')
      .requiredOption('--client-id <clientId>', 'MQTT client id (iot:ClientId)')
      .requiredOption('--action <action>', 'IoT action, e.g. iot:Publish, iot:Subscribe, iot:Connect')
      .requiredOption('--resource <resource>', 'as policies name it (topic/a/b, topicfilter/a/#, client/agent-7) or an ARN')
      .option('--certificate <id>', "certificate id: its policies, and its thing groups' when the client id is the thing's name")
      .option('--thing <name>', 'thing name, for principals without a certificate')
      .option('--kind <kind>', `principal kind: ${principalKinds.join(', ')} (default: certificate with --certificate, else token)`, parseKind)
      .option('--source-ip <address>', 'source address (aws:SourceIp)')
      .option('--will-topic <topic>', 'iot:LastWillTopic, for iot:Connect')
      .option('--persistent', 'iot:ConnectAttributes PersistentConnect, for iot:Connect')
      .option('--time <iso>', 'aws:CurrentTime (ISO 8601); default now'),
    async ({ api, json, options, print, printJson }) => {
      const text = (name: string): string | undefined => (typeof options[name] === 'string' ? options[name] : undefined);
      const willTopic = text('willTopic');
      const connectAttributes = [...(options['persistent'] === true ? ['PersistentConnect'] : []), ...(willTopic === undefined ? [] : ['LastWill'])];
      const context = {
        ...(willTopic === undefined ? {} : { lastWillTopic: willTopic }),
        ...(connectAttributes.length === 0 ? {} : { connectAttributes }),
        ...(text('time') === undefined ? {} : { currentTime: text('time') }),
      };
      const principal = {
        clientId: text('clientId'),
        ...(text('certificate') === undefined ? {} : { certificateId: text('certificate') }),
        ...(text('thing') === undefined ? {} : { thingName: text('thing') }),
        ...(text('kind') === undefined ? {} : { kind: text('kind') }),
        ...(text('sourceIp') === undefined ? {} : { sourceIp: text('sourceIp') }),
      };
      const body = {
        tenant: text('tenant'), principal, action: text('action'), resource: text('resource'),
        ...(Object.keys(context).length === 0 ? {} : { context }),
      };
      const answer = (await api.request<TestAuthorizationJson>('POST', '/v1/test-authorization', body))!;
      if (json) return printJson(answer);
      const by = answer.decidedBy;
      print([
        `${answer.decision}: ${answer.explanation}`,
        ...(by === undefined ? [] : [`Decided by: policy "${by.policy}" version ${by.version}, statement ${by.statementIndex} (${by.effect})`]),
        `Policies: ${answer.policies.length === 0 ? '(none)' : answer.policies.join(', ')}`,
      ].join('\n') + '\n');
    },
  );
}

function parseKind(value: string): string {
  if (!principalKinds.includes(value)) throw new InvalidArgumentError(`"${value}" is not one of ${principalKinds.join(', ')}`);
  return value;
}
