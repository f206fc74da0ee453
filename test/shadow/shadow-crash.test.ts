/**
 * kill -9 while an agent updates its shadow: Gatehouse runs as a child process on SQLite; a writer
 * sends versioned updates one after another (each with the version the previous accepted reply
 * gave) and the server is killed mid-stream, several times. After every restart on the same home the
 * shadow holds every update whose accepted reply arrived, its version is at least the last accepted
 * one (one more when the update in flight at the kill was committed but its reply lost), the state
 * belongs exactly to that version, and the next update continues from it: versions never go back.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { sleep, startGatehouseProcess, type GatehouseProcess } from '../helpers/index.ts';
import { onboardDevice } from '../identity/onboarding-kit.ts';
import { httpRequestRaw, shadowPrefix, ShadowClient, type Json } from './shadow-kit.ts';

const ROUNDS = Number(process.env['GATEHOUSE_SHADOW_CRASH_ROUNDS'] ?? 8);
const THING = 'crash-agent';
const PREFIX = shadowPrefix(THING);

interface Server {
  readonly process: GatehouseProcess;
  readonly mqtt: string;
  readonly admin: string;
  readonly adminKey: string;
}

/** One update as the writer saw it. */
interface Write {
  readonly n: number;
  /** The version the request named. */
  readonly sentVersion: number;
  /** The version of the accepted reply; undefined while none came. */
  acceptedVersion?: number;
}

interface Round {
  readonly index: number;
  readonly writes: Write[];
  /** What the shadow held after the restart that followed this round's kill. */
  restartedVersion?: number;
  restartedSeq?: number | undefined;
}

describe('kill -9 while a shadow is updated (SQLite, child process)', { timeout: 120_000 }, () => {
  let home = '';
  let server: Server | undefined;

  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'gatehouse-shadow-crash-'));
  });
  after(async () => {
    if (server !== undefined) await server.process.stop('SIGKILL');
    await rm(home, { recursive: true, force: true });
  });

  async function start(): Promise<Server> {
    const process = await startGatehouseProcess({ home, args: ['--set', 'store.kind=sqlite'] });
    const { mqtt, admin } = process.endpoints;
    if (mqtt === undefined || admin === undefined) throw new Error('gatehouse serve wrote no mqtt or admin endpoint');
    server = { process, mqtt, admin, adminKey: (await readFile(join(home, 'admin.key'), 'utf8')).trim() };
    return server;
  }

  async function kill(running: Server): Promise<void> {
    const ended = await running.process.stop('SIGKILL');
    assert.equal(ended.signal, 'SIGKILL');
    server = undefined;
  }

  async function readShadow(running: Server): Promise<Json> {
    const answer = await httpRequestRaw(`${running.admin}/v1/tenants/default/things/${THING}/shadow`, { headers: { authorization: `Bearer ${running.adminKey}` } });
    assert.equal(answer.status, 200, answer.text);
    return answer.body;
  }

  /**
   * Sends updates one at a time until the connection drops. Each names the version of the previous
   * accepted reply and sets `seq` and its round's own key to its number.
   */
  async function writeUntilKilled(running: Server, round: Round, startVersion: number, firstN: number): Promise<{ closed: Promise<void> }> {
    const writer = await ShadowClient.connect(running.mqtt, { clientId: 'crash-writer', protocolVersion: 5 });
    let closed = false;
    const whenClosed = new Promise<void>((resolve) => writer.client.once('close', () => {
      closed = true;
      resolve();
    }));
    await writer.subscribe(`${PREFIX}/update/accepted`, `${PREFIX}/update/rejected`);
    const loop = (async () => {
      let version = startVersion;
      for (let n = firstN; !closed; n++) {
        const write: Write = { n, sentVersion: version };
        round.writes.push(write);
        const reply = await Promise.race([
          writer.request(PREFIX, 'update', { state: { reported: { seq: n, [`round${round.index}`]: n } }, version, clientToken: `w-${n}` }, { timeoutMs: 60_000 }),
          whenClosed.then(() => undefined),
        ]).catch(() => undefined);
        if (reply === undefined) break;
        assert.equal(reply.topic, `${PREFIX}/update/accepted`, `update ${n} with version ${version}: ${reply.text}`);
        write.acceptedVersion = Number(reply.body['version']);
        assert.equal(write.acceptedVersion, version + 1);
        version = write.acceptedVersion;
      }
    })();
    loop.catch(() => undefined);
    return { closed: Promise.all([whenClosed, loop]).then(() => undefined) };
  }

  it(`keeps every accepted update over ${ROUNDS} kills, and its version never goes back`, async () => {
    const started = Date.now();
    let running = await start();
    const ca = await readFile(running.process.endpoints.ca, 'utf8');
    const wss = running.process.endpoints.wss;
    assert.ok(wss !== undefined);
    await onboardDevice({ adminUrl: running.admin, adminKey: running.adminKey, registerUrl: `${wss.replace(/^wss:/, 'https:').replace(/\/mqtt$/, '')}/v1/register`, ca }, THING);

    const rounds: Round[] = [];
    let version = 0;
    let n = 1;
    for (let index = 1; index <= ROUNDS; index++) {
      const round: Round = { index, writes: [] };
      rounds.push(round);
      const writing = await writeUntilKilled(running, round, version, n);
      await sleep(300 + Math.floor(Math.random() * 1200));
      await kill(running);
      await writing.closed;
      running = await start();

      const accepted = round.writes.filter((write) => write.acceptedVersion !== undefined);
      const last = accepted.at(-1);
      const inFlight = round.writes.find((write) => write.acceptedVersion === undefined);
      const shadow = await readShadow(running);
      const restartedVersion = Number(shadow['version']);
      const reported = (shadow['state'] as { reported: Record<string, number> }).reported;
      round.restartedVersion = restartedVersion;
      round.restartedSeq = reported['seq'];

      const lastVersion = last?.acceptedVersion ?? version;
      assert.ok(restartedVersion >= lastVersion, `round ${index}: version ${restartedVersion} after the restart, ${lastVersion} accepted before the kill`);
      if (restartedVersion === lastVersion) {
        assert.equal(reported['seq'], last?.n ?? n - 1, `round ${index}: the state is that of the last accepted update`);
      } else {
        // The update in flight at the kill was committed; its reply was lost with the process.
        assert.ok(inFlight !== undefined, `round ${index}: version ${restartedVersion} is past every update sent`);
        assert.equal(restartedVersion, lastVersion + 1, `round ${index}: only the one update in flight can be there unacknowledged`);
        assert.equal(reported['seq'], inFlight.n, `round ${index}: the state belongs to version ${restartedVersion}`);
      }
      // Every earlier round's last update is still there too.
      for (const earlier of rounds) {
        const kept = reported[`round${earlier.index}`];
        const earlierLast = earlier.writes.filter((write) => write.acceptedVersion !== undefined).at(-1);
        if (earlierLast === undefined) continue;
        assert.ok(kept !== undefined && kept >= earlierLast.n, `round ${earlier.index}'s last accepted update (${earlierLast.n}) survived, found ${kept}`);
      }
      version = restartedVersion;
      n = Math.max(n, ...round.writes.map((write) => write.n)) + 1;
    }

    // The next update continues from the version found; naming an older one is a conflict.
    const writer = await ShadowClient.connect(running.mqtt, { clientId: 'crash-writer', protocolVersion: 5 });
    try {
      if (version > 0) {
        const older = await writer.request(PREFIX, 'update', { state: { reported: { seq: -1 } }, version: version - 1, clientToken: 'older' });
        assert.equal(older.topic, `${PREFIX}/update/rejected`);
        assert.equal(older.body['code'], 409);
      }
      const next = await writer.request(PREFIX, 'update', { state: { reported: { seq: n } }, version, clientToken: 'after' });
      assert.equal(next.topic, `${PREFIX}/update/accepted`, next.text);
      assert.equal(next.body['version'], version + 1);
    } finally {
      await writer.end();
    }
    await kill(running);

    console.log('round  sent  accepted  last accepted version  in flight at kill  version after restart');
    for (const round of rounds) {
      const accepted = round.writes.filter((write) => write.acceptedVersion !== undefined);
      console.log(`${String(round.index).padStart(5)}  ${String(round.writes.length).padStart(4)}  ${String(accepted.length).padStart(8)}  ${String(accepted.at(-1)?.acceptedVersion ?? '-').padStart(21)}  ${String(round.writes.some((write) => write.acceptedVersion === undefined)).padStart(17)}  ${String(round.restartedVersion).padStart(21)}`);
    }
    const total = rounds.reduce((sum, round) => sum + round.writes.filter((write) => write.acceptedVersion !== undefined).length, 0);
    console.log(`total: ${total} accepted updates over ${ROUNDS} kills, final version ${version + 1}, ${Date.now() - started} ms`);
    assert.ok(total >= ROUNDS, 'the writer got accepted updates at all');
  });
});
