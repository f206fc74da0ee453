/** Entry point of the `gatehouse` command (bin/gatehouse.js imports this module). */
import { buildProgram, reportFailure } from './program.js';

await buildProgram().parseAsync(process.argv).catch(reportFailure);
