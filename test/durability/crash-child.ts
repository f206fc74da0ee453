/**
 * A broker process for the crash test, until `gatehouse serve` exists: SQLite in `<home>/broker.db`,
 * MQTT on 127.0.0.1 port 0, the port written to `<home>/endpoints.json` once it listens.
 * Usage: node --import tsx test/durability/crash-child.ts <home> [limits-json]
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startInProcessBroker } from './fixtures.js';

const home = process.argv[2];
if (home === undefined) throw new TypeError('Usage: crash-child.ts <home> [limits-json]');
const limits = process.argv[3] === undefined ? {} : (JSON.parse(process.argv[3]) as Record<string, unknown>);
const server = await startInProcessBroker({ path: join(home, 'broker.db'), limits });
// Written then renamed, so a reader never sees half a file.
const temporary = join(home, `endpoints.json.${process.pid}`);
await writeFile(temporary, JSON.stringify({ mqtt: server.url, pid: process.pid }));
await rename(temporary, join(home, 'endpoints.json'));
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
