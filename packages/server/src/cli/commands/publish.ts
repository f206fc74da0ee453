/** `gatehouse publish TOPIC [MESSAGE]`: publish as the broker itself through the admin API. */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { adminAction } from '../admin-command.js';
import type { PublishJson } from '../api-types.js';

export function registerPublishCommand(program: Command): void {
  const command = program
    .command('publish')
    .description('publish a message; without MESSAGE the payload is read from stdin')
    .argument('<topic>', 'topic name (no wildcards)')
    .argument('[message]', 'the payload (text, or base64 with --base64)')
    .addOption(new Option('-q, --qos <qos>', 'quality of service').choices(['0', '1', '2']).default('0'))
    .option('-r, --retain', 'keep as the retained message of the topic')
    .option('--tenant <tenant>', "the tenant whose topic it is (default: identity.defaultTenant); a full $tenants/... topic names one itself")
    .option('--base64', 'MESSAGE (or stdin) is base64; binary payloads')
    .option('--content-type <type>', 'MQTT 5 Content Type')
    .option('--user-property <key=value>', 'MQTT 5 user property; repeat for more', collectUserProperty, {} as Record<string, string>);

  adminAction(command, async ({ api, json, args, options, print, printJson }) => {
    const topic = String(args[0]);
    const message = args[1] === undefined ? undefined : String(args[1]);
    const base64 = options['base64'] === true;
    const body = {
      topic,
      ...(typeof options['tenant'] === 'string' ? { tenant: options['tenant'] } : {}),
      ...(await payloadFields(message, base64)),
      qos: Number(options['qos']),
      retain: options['retain'] === true,
      ...(typeof options['contentType'] === 'string' ? { contentType: options['contentType'] } : {}),
      ...(Object.keys(options['userProperty'] as object).length === 0 ? {} : { userProperties: options['userProperty'] }),
    };
    const answer = (await api.request<PublishJson>('POST', '/v1/publish', body))!;
    if (json) return printJson(answer);
    const flags = [`qos ${answer.qos}`, ...(answer.retain ? ['retained'] : [])].join(', ');
    print(`Published ${answer.bytes} bytes to "${answer.topic}" (${flags})\n`);
  });
}

/**
 * A MESSAGE argument is sent as text (or as the base64 it is). Stdin is read as bytes and always
 * sent as base64, so binary input survives; with `--base64`, stdin holds base64 text.
 */
async function payloadFields(message: string | undefined, base64: boolean): Promise<{ payload: string; payloadEncoding: 'utf8' | 'base64' }> {
  if (message !== undefined) return { payload: message, payloadEncoding: base64 ? 'base64' : 'utf8' };
  if (process.stdin.isTTY) process.stderr.write('Reading the message from stdin; end it with Ctrl-D\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const input = Buffer.concat(chunks);
  return { payload: base64 ? input.toString('utf8').trim() : input.toString('base64'), payloadEncoding: 'base64' };
}

function collectUserProperty(value: string, previous: Record<string, string>): Record<string, string> {
  const equals = value.indexOf('=');
  if (equals <= 0) throw new InvalidArgumentError(`"${value}" is not key=value`);
  return { ...previous, [value.slice(0, equals)]: value.slice(equals + 1) };
}
