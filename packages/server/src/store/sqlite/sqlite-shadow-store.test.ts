import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runShadowStoreContract } from '../contract/shadow-store.contract.js';
import { createSqliteShadowStore } from './sqlite-shadow-store.js';
import { createSqliteStore } from './sqlite-store.js';

const writer = fileURLToPath(new URL('./sqlite-shadow-writer.fixture.ts', import.meta.url));

let directory = '';
let counter = 0;

before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'gatehouse-sqlite-shadows-'));
});

/** Writers still running when the file ends (a failed assertion left them): killed, so the run ends by itself. */
const children = new Set<ChildProcessWithoutNullStreams>();

after(async () => {
  for (const child of children) child.kill('SIGKILL');
  await rm(directory, { recursive: true, force: true });
});

function freshPath(): string {
  return join(directory, `run-${++counter}`, 'broker.db');
}

runShadowStoreContract('sqlite', async () => {
  const path = freshPath();
  const store = createSqliteShadowStore({ path });
  await store.open();
  const opened: { close(): Promise<void> }[] = [store];
  return {
    store,
    // A second store on the same file: its own connection, as a second process would have.
    async reopen() {
      const reopened = createSqliteShadowStore({ path });
      await reopened.open();
      opened.push(reopened);
      return reopened;
    },
    async cleanup() {
      for (const each of opened) await each.close();
    },
  };
});

/** A writer process (sqlite-shadow-writer.fixture.ts) and its stdout, line by line. */
function startWriter(args: readonly string[]): { child: ChildProcessWithoutNullStreams; lines: AsyncIterableIterator<string>; stderr: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', writer, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return { child, lines, stderr: () => stderr };
}

async function nextLine(process: ReturnType<typeof startWriter>): Promise<string> {
  const { value, done } = await process.lines.next();
  if (done === true) throw new Error(`writer ended early: ${process.stderr()}`);
  return value;
}

/** Waits until every writer is open, then releases them at once (ending stdin also lets them exit). */
async function startTogether(writers: ReturnType<typeof startWriter>[]): Promise<ReturnType<typeof startWriter>[]> {
  for (const each of writers) assert.equal(await nextLine(each), 'ready');
  for (const each of writers) each.child.stdin.end('go\n');
  return writers;
}

async function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode };
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal };
}

describe('createSqliteShadowStore across processes', () => {
  it('lets exactly one of eight processes win a compare-and-set from the same version', async () => {
    const path = freshPath();
    const store = createSqliteShadowStore({ path });
    await store.open();
    try {
      await store.putShadow({ tenant: 'acme', thing: 'agent-7', name: '', state: '{}', metadata: '{}', version: 1, updatedAt: 1 }, undefined);
      const writers = await startTogether(Array.from({ length: 8 }, () => startWriter(['race', path])));
      const outcomes = await Promise.all(writers.map((each) => nextLine(each)));
      for (const each of writers) assert.deepEqual(await exited(each.child), { code: 0, signal: null }, each.stderr());
      const winners = outcomes.filter((line) => line.startsWith('won '));
      assert.equal(winners.length, 1, outcomes.join(', '));
      assert.equal(outcomes.filter((line) => line.startsWith('lost ')).length, 7);
      const stored = await store.getShadow('acme', 'agent-7', '');
      assert.equal(stored?.version, 2);
      assert.equal(stored?.state, JSON.stringify({ writer: Number(winners[0]?.slice(4)) }));
    } finally {
      await store.close();
    }
  });

  it('loses no increment when four processes read, compare-and-set and retry on one file', async () => {
    const path = freshPath();
    const perWriter = 200;
    // Migrated before the writers start: Kysely's migration lock on SQLite holds within one process only.
    const store = createSqliteShadowStore({ path });
    await store.open();
    try {
      const writers = await startTogether(Array.from({ length: 4 }, () => startWriter(['increment', path, String(perWriter)])));
      const conflicts = (await Promise.all(writers.map((each) => nextLine(each)))).map(Number);
      for (const each of writers) assert.deepEqual(await exited(each.child), { code: 0, signal: null }, each.stderr());
      assert.equal((await store.getShadow('acme', 'agent-7', ''))?.version, 4 * perWriter, `conflicts per writer: ${conflicts.join(', ')}`);
      // The processes ran at once: some read a version another then replaced. None would mean no race was tested.
      assert.ok(conflicts.reduce((sum, each) => sum + each, 0) > 0, `conflicts per writer: ${conflicts.join(', ')}`);
    } finally {
      await store.close();
    }
  });

  it('keeps every resolved put after kill -9 (WAL, synchronous NORMAL), round after round', async () => {
    const path = freshPath();
    const migrated = createSqliteShadowStore({ path });
    await migrated.open();
    await migrated.close();
    let previous = 0;
    for (let round = 1; round <= 3; round++) {
      const writerProcess = startWriter(['write', path]);
      let resolved = 0;
      // Killed at a different point each round, mid-stream.
      const target = previous + 50 + Math.floor(Math.random() * 150);
      while (resolved < target) resolved = Number(await nextLine(writerProcess));
      writerProcess.child.kill('SIGKILL');
      assert.equal((await exited(writerProcess.child)).signal, 'SIGKILL');

      const afterCrash = createSqliteShadowStore({ path });
      await afterCrash.open();
      try {
        const stored = await afterCrash.getShadow('acme', 'agent-7', '');
        assert.ok(stored !== undefined && stored.version >= resolved, `round ${round}: stored version ${stored?.version} >= last resolved ${resolved}`);
        assert.equal(stored.state, JSON.stringify({ desired: { n: stored.version } }));
        previous = stored.version;
      } finally {
        await afterCrash.close();
      }
    }
  });
});

describe('createSqliteShadowStore', () => {
  it('shares the broker store\'s file, whichever opens first', async () => {
    const path = join(directory, 'shared', 'broker.db');
    const broker = createSqliteStore({ path });
    await broker.open();
    const shadows = createSqliteShadowStore({ path });
    await shadows.open();
    await broker.apply([{ kind: 'retained.put', message: { topic: 'a/b', payload: Buffer.from('x'), qos: 1, retain: true, storedAt: 1 } }]);
    await shadows.putShadow({ tenant: 'acme', thing: 'agent-7', name: 'config', state: '{}', metadata: '{}', version: 1, updatedAt: 1 }, undefined);
    await shadows.close();
    await broker.close();

    const shadowsAgain = createSqliteShadowStore({ path });
    await shadowsAgain.open();
    const brokerAgain = createSqliteStore({ path });
    await brokerAgain.open();
    try {
      assert.equal((await shadowsAgain.getShadow('acme', 'agent-7', 'config'))?.version, 1);
      assert.deepEqual((await brokerAgain.loadRetained()).map((message) => message.topic), ['a/b']);
    } finally {
      await brokerAgain.close();
      await shadowsAgain.close();
    }
  });
});
