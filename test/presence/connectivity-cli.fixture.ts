/**
 * A `gatehouse` program with a bare `things` group holding only `connectivity`, run as a child
 * process by connectivity.test.ts, for as long as the registry's own `things` group does not call
 * registerThingConnectivityCommand.
 */
import { Command } from 'commander';
import { registerThingConnectivityCommand } from '../../packages/server/src/cli/commands/thing-connectivity.ts';

const program = new Command('gatehouse').exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
registerThingConnectivityCommand(program.command('things').exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2)));
await program.parseAsync(process.argv);
