/**
 * A `gatehouse` program with only the admin commands, for cli.test.ts to run as a child process
 * (the real bin also starts the server and belongs to app/).
 */
import { Command } from 'commander';
import { registerAdminCommands } from './index.js';

const program = new Command('gatehouse').exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));
registerAdminCommands(program);
await program.parseAsync(process.argv);
