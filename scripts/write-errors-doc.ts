// Writes docs/errors.md from the error catalogue in packages/server/src/core/errors.ts, so adding a
// code is one edit plus `node --import tsx scripts/write-errors-doc.ts`. The table's format is what
// packages/server/src/core/errors-doc.test.ts parses.
import { writeFileSync } from 'node:fs';
import { errorCatalogue } from '../packages/server/src/core/index.js';

const intro = `# Error codes

Every error Gatehouse reports on purpose carries a stable code from one catalogue
(\`packages/server/src/core/errors.ts\`). The code never changes once released; the message may be
reworded. Scripts should match on the code, people read the message.

- **status** is the HTTP status the admin API answers with for that code.
- **message** is the template; \`{name}\` placeholders are filled in when the error is raised, for
  example \`NOT_FOUND\` reads \`Client "agent-7" was not found\`.

Where Gatehouse speaks an AWS IoT wire protocol (shadows, jobs, provisioning), the error payloads on
those topics follow AWS's format instead of this table.

A test (\`packages/server/src/core/errors-doc.test.ts\`) fails when this table and the catalogue
disagree. After changing the catalogue, regenerate it with
\`node --import tsx scripts/write-errors-doc.ts\`.

`;

const escapeCell = (text: string): string => text.replaceAll('|', '\\|');

const rows = Object.entries(errorCatalogue).map(
  ([code, { status, message }]) => `| \`${code}\` | ${status} | \`${escapeCell(message)}\` |`,
);
const table = ['| code | status | message |', '|---|---|---|', ...rows].join('\n');
const target = new URL('../docs/errors.md', import.meta.url);
writeFileSync(target, `${intro}${table}\n`);
console.log(`wrote ${rows.length} codes to docs/errors.md`);
