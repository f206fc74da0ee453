/** `gatehouse tokens create`: single-use registration tokens for agents. */
import { InvalidArgumentError, type Command } from 'commander';
import { adminAction, adminGroup } from '../admin-command.js';
import type { MintedTokenJson } from '../api-types.js';

export function registerTokensCommands(program: Command): void {
  const tokens = adminGroup(program, 'tokens', 'single-use registration tokens');

  adminAction(
    tokens.command('create')
      .description('mint a token that one agent trades, with its CSR, for a certificate')
      .requiredOption('--thing <name>', 'thing name; it becomes the certificate CN')
      .option('--tenant <tenant>', 'tenant (default: identity.defaultTenant)')
      .option('--ttl <seconds>', 'lifetime in seconds (default: identity.tokenTtlSeconds)', parseTtl)
      .option('--template <name>', 'provisioning template'),
    async ({ api, json, options, print, printJson }) => {
      const body = {
        thing: String(options['thing']),
        ...(typeof options['tenant'] === 'string' ? { tenant: options['tenant'] } : {}),
        ...(typeof options['ttl'] === 'number' ? { ttlSeconds: options['ttl'] } : {}),
        ...(typeof options['template'] === 'string' ? { template: options['template'] } : {}),
      };
      const minted = (await api.request<MintedTokenJson>('POST', '/v1/tokens', body))!;
      if (json) return printJson(minted);
      // The token goes to stdout alone on its first line so `| head -1` gets it.
      print(`${minted.token}\n`);
      process.stderr.write(`Registration token for thing "${minted.thing}" of tenant "${minted.tenant}", single use, expires ${minted.expiresAt}\nRegister at: ${minted.endpoint}\n`);
    },
  );
}

function parseTtl(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 604800) throw new InvalidArgumentError(`"${value}" is not a whole number of seconds from 1 to 604800`);
  return n;
}
