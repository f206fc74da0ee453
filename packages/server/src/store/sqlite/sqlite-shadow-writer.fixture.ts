/**
 * A separate process writing shadows into a SQLite file, for sqlite-shadow-store.test.ts: the
 * compare-and-set across processes and what survives kill -9. Usage (under tsx):
 *   race PATH            one putShadow of version 2 over version 1; prints won|lost
 *   increment PATH N     N read-and-compare-and-set increments, retrying; prints the conflicts it met
 * Both print "ready" once open and start at "go" on stdin, so the processes start together.
 *   write PATH           updates the classic shadow (creating it) forever, printing each resolved version
 */
import { createInterface } from 'node:readline';
import type { ShadowRecord } from '../shadow-ports.js';
import { createSqliteShadowStore } from './sqlite-shadow-store.js';

const [mode, path = '', count = '0'] = process.argv.slice(2);
const store = createSqliteShadowStore({ path });
await store.open();

function record(version: number, state: string): ShadowRecord {
  return { tenant: 'acme', thing: 'agent-7', name: '', state, metadata: '{}', version, updatedAt: Date.now() };
}

async function ready(): Promise<void> {
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) if (line === 'go') return;
  throw new Error('stdin ended without "go"');
}

switch (mode) {
  case 'race': {
    await ready();
    const won = await store.putShadow(record(2, JSON.stringify({ writer: process.pid })), 1);
    process.stdout.write(`${won ? 'won' : 'lost'} ${process.pid}\n`);
    break;
  }
  case 'increment': {
    await ready();
    let conflicts = 0;
    for (let done = 0; done < Number(count); ) {
      const current = await store.getShadow('acme', 'agent-7', '');
      if (await store.putShadow(record((current?.version ?? 0) + 1, JSON.stringify({ writer: process.pid })), current?.version)) done++;
      else conflicts++;
    }
    process.stdout.write(`${conflicts}\n`);
    break;
  }
  case 'write': {
    const start = (await store.getShadow('acme', 'agent-7', ''))?.version ?? 0;
    for (let version = start + 1; ; version++) {
      if (!(await store.putShadow(record(version, JSON.stringify({ desired: { n: version } })), version === 1 ? undefined : version - 1))) {
        throw new Error(`lost the compare-and-set at version ${version}`);
      }
      process.stdout.write(`${version}\n`);
    }
  }
  default:
    throw new Error(`unknown mode ${mode}`);
}
await store.close();
