/** Entry point of the `gatehouse-agent` command (bin/gatehouse-agent.js imports this module). */
import { buildAgentProgram, reportFailure } from './program.ts';

await buildAgentProgram().parseAsync(process.argv).catch(reportFailure);
