/** Adds the admin commands (`clients`, `sessions`, `retained`, `publish`, `stats`, `tokens`, `templates`, `certs`, `ca`, `role-aliases`, `tenants`, `things`, `types`, `thing-groups` (`groups`), `billing-groups`, `events`, `shadow`, `policy`, `audit`) to the `gatehouse` program. */
import type { Command } from 'commander';
import { registerAuditCommands } from './commands/audit.js';
import { registerCaCommands } from './commands/ca.js';
import { registerCertsCommands } from './commands/certs.js';
import { registerClientsCommands } from './commands/clients.js';
import { registerPolicyAttachCommands } from './commands/policy-attach.js';
import { registerPolicyTestCommand } from './commands/policy-test.js';
import { registerPolicyCommands } from './commands/policy.js';
import { registerPublishCommand } from './commands/publish.js';
import { registerRetainedCommands } from './commands/retained.js';
import { registerRoleAliasesCommands } from './commands/role-aliases.js';
import { registerSessionsCommands } from './commands/sessions.js';
import { registerShadowCommands } from './commands/shadow.js';
import { registerStatsCommand } from './commands/stats.js';
import { registerTemplatesCommands } from './commands/templates.js';
import { registerTenantsCommands } from './commands/tenants.js';
import { registerBillingGroupsCommands } from './commands/billing-groups.js';
import { registerEventsCommands } from './commands/events.js';
import { registerThingGroupsCommands } from './commands/thing-groups.js';
import { registerThingTypesCommands } from './commands/thing-types.js';
import { registerThingsCommands } from './commands/things.js';
import { registerTokensCommands } from './commands/tokens.js';

/**
 * Registers every admin command on `program`. Each command carries its own `--url`, `--key`,
 * `--home` and `--json` flags (see docs/cli.md); nothing is added to the program itself, so the
 * caller is free to define its own options. Actions set `process.exitCode` (1 on failure) rather
 * than exiting, so output is flushed; usage errors exit 2.
 *
 * @example
 * const program = new Command('gatehouse');
 * registerAdminCommands(program);
 * await program.parseAsync(process.argv);
 */
export function registerAdminCommands(program: Command): void {
  registerClientsCommands(program);
  registerSessionsCommands(program);
  registerRetainedCommands(program);
  registerPublishCommand(program);
  registerStatsCommand(program);
  registerTokensCommands(program);
  registerTemplatesCommands(program);
  registerCertsCommands(program);
  registerCaCommands(program);
  registerRoleAliasesCommands(program);
  registerTenantsCommands(program);
  registerThingsCommands(program);
  registerThingTypesCommands(program);
  registerThingGroupsCommands(program);
  registerBillingGroupsCommands(program);
  registerEventsCommands(program);
  registerShadowCommands(program);
  registerPolicyAttachCommands(registerPolicyCommands(program));
  registerAuditCommands(program);
  // After the policy commands, whose `policy` group it joins (it makes the group when there is none).
  registerPolicyTestCommand(program);
}
