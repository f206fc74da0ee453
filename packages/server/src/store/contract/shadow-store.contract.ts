/**
 * The one suite every ShadowStore backend passes (memory, SQLite, PostgreSQL): the compare-and-set,
 * tombstones and their purge, bytewise paging of named shadows, tenant isolation, bad input,
 * concurrent writers through two store objects on the same data, and reopening.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLASSIC_SHADOW, type ShadowRecord, type ShadowStore, type ShadowStoreBackend } from '../shadow-ports.js';

export interface ShadowStoreHarness {
  /** An opened, empty store. */
  readonly store: ShadowStoreBackend;
  /** A second, opened store on the same data (same file, schema or tables), as a second process would have. */
  reopen(): Promise<ShadowStoreBackend>;
  /** Closes whatever the harness opened and removes its data. */
  cleanup(): Promise<void>;
}

const T0 = 1_700_000_000_000;

/** A live shadow record; `version` also seeds distinct state text so a write shows in a read. */
export function shadowRecord(tenant: string, thing: string, name: string, version: number, extra: Partial<ShadowRecord> = {}): ShadowRecord {
  return {
    tenant,
    thing,
    name,
    state: JSON.stringify({ desired: { v: version }, reported: { name } }),
    metadata: JSON.stringify({ desired: { v: { timestamp: T0 / 1000 + version } } }),
    version,
    updatedAt: T0 + version,
    ...extra,
  };
}

function tombstone(live: ShadowRecord, deletedAt: number): ShadowRecord {
  return { ...live, state: '{}', metadata: '{}', updatedAt: deletedAt, deletedAt };
}

/** Every named shadow of a thing, through pages of `limit`. */
async function allNames(store: ShadowStore, tenant: string, thing: string, limit: number): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.listShadowNames(tenant, thing, { limit, ...(cursor === undefined ? {} : { cursor }) });
    pages++;
    assert.ok(page.names.length <= limit, `page of ${page.names.length} within limit ${limit}`);
    names.push(...page.names);
    cursor = page.nextCursor;
    if (cursor !== undefined) assert.equal(cursor, page.names.at(-1));
  } while (cursor !== undefined && pages < 100);
  return { names, pages };
}

/**
 * Registers the shadow store contract suite for one backend.
 *
 * @example
 * runShadowStoreContract('memory', async () => {
 *   const store = new MemoryShadowStore();
 *   return { store, reopen: async () => new MemoryShadowStore({ tables: store.tables }), cleanup: () => store.close() };
 * });
 */
export function runShadowStoreContract(name: string, makeStore: () => Promise<ShadowStoreHarness>): void {
  describe(`ShadowStore contract: ${name}`, () => {
    async function withStore(test: (store: ShadowStoreBackend, harness: ShadowStoreHarness) => Promise<void>): Promise<void> {
      const harness = await makeStore();
      try {
        await test(harness.store, harness);
      } finally {
        await harness.cleanup();
      }
    }

    it('creates a shadow only where there is no row, and returns it as written', () =>
      withStore(async (store) => {
        assert.equal(await store.getShadow('acme', 'agent-7', CLASSIC_SHADOW), undefined);
        const first = shadowRecord('acme', 'agent-7', CLASSIC_SHADOW, 1);
        assert.equal(await store.putShadow(first, undefined), true);
        // No `deletedAt: undefined` key on a live shadow.
        assert.deepEqual(await store.getShadow('acme', 'agent-7', CLASSIC_SHADOW), first);

        // A second create loses, whatever it carries.
        assert.equal(await store.putShadow(shadowRecord('acme', 'agent-7', CLASSIC_SHADOW, 5), undefined), false);
        assert.deepEqual(await store.getShadow('acme', 'agent-7', CLASSIC_SHADOW), first);
      }));

    it('writes only over the expected version (a compare-and-set)', () =>
      withStore(async (store) => {
        await store.putShadow(shadowRecord('acme', 'agent-7', 'config', 1), undefined);
        const second = shadowRecord('acme', 'agent-7', 'config', 2);
        assert.equal(await store.putShadow(second, 1), true);
        assert.deepEqual(await store.getShadow('acme', 'agent-7', 'config'), second);

        // A writer still holding version 1 is refused and changes nothing.
        assert.equal(await store.putShadow(shadowRecord('acme', 'agent-7', 'config', 3, { state: '{"stale":true}' }), 1), false);
        assert.equal(await store.putShadow(shadowRecord('acme', 'agent-7', 'config', 4), 3), false);
        assert.deepEqual(await store.getShadow('acme', 'agent-7', 'config'), second);

        // Expecting a version where there is no row creates nothing.
        assert.equal(await store.putShadow(shadowRecord('acme', 'agent-7', 'other', 2), 1), false);
        assert.equal(await store.getShadow('acme', 'agent-7', 'other'), undefined);
        assert.equal(await store.putShadow(shadowRecord('acme', 'agent-7', 'other', 1), 0), false);
        assert.equal(await store.getShadow('acme', 'agent-7', 'other'), undefined);
      }));

    it('keeps shadows apart by tenant, thing and name, the classic one included', () =>
      withStore(async (store) => {
        const records = [
          shadowRecord('acme', 'agent-7', CLASSIC_SHADOW, 1),
          shadowRecord('acme', 'agent-7', 'config', 2),
          shadowRecord('acme', 'agent-70', CLASSIC_SHADOW, 3),
          shadowRecord('globex', 'agent-7', CLASSIC_SHADOW, 4),
          shadowRecord('globex', 'agent-7', 'config', 5),
        ];
        for (const record of records) assert.equal(await store.putShadow(record, undefined), true);
        for (const record of records) assert.deepEqual(await store.getShadow(record.tenant, record.thing, record.name), record);

        assert.equal(await store.putShadow(shadowRecord('globex', 'agent-7', 'config', 6), 5), true);
        assert.deepEqual(await store.getShadow('acme', 'agent-7', 'config'), records[1]);
        assert.deepEqual((await store.listShadowNames('acme', 'agent-7', { limit: 10 })).names, ['config']);
        assert.deepEqual((await store.listShadowNames('acme', 'agent-70', { limit: 10 })).names, []);
        assert.deepEqual((await store.listShadowNames('initech', 'agent-7', { limit: 10 })).names, []);
      }));

    it('keeps a deleted shadow as a tombstone: returned by getShadow, not listed, recreated only from its version', () =>
      withStore(async (store) => {
        const live = shadowRecord('acme', 'agent-7', 'config', 4);
        await store.putShadow(shadowRecord('acme', 'agent-7', 'config', 3), undefined);
        await store.putShadow(live, 3);
        await store.putShadow(shadowRecord('acme', 'agent-7', 'keep', 1), undefined);
        const deleted = tombstone(live, T0 + 100);
        assert.equal(await store.putShadow(deleted, 4), true);

        assert.deepEqual(await store.getShadow('acme', 'agent-7', 'config'), deleted);
        assert.deepEqual((await store.listShadowNames('acme', 'agent-7', { limit: 10 })).names, ['keep']);

        // The row is there: a blind create loses, so the version count is not restarted by accident.
        assert.equal(await store.putShadow(shadowRecord('acme', 'agent-7', 'config', 1), undefined), false);
        const recreated = shadowRecord('acme', 'agent-7', 'config', 5);
        assert.equal(await store.putShadow(recreated, 4), true);
        assert.deepEqual(await store.getShadow('acme', 'agent-7', 'config'), recreated);
        assert.deepEqual((await store.listShadowNames('acme', 'agent-7', { limit: 10 })).names, ['config', 'keep']);
      }));

    it('purges tombstones deleted before the given time, and nothing else', () =>
      withStore(async (store) => {
        const old = shadowRecord('acme', 'agent-7', 'old', 1);
        const edge = shadowRecord('acme', 'agent-7', 'edge', 1);
        const young = shadowRecord('globex', 'agent-9', CLASSIC_SHADOW, 1);
        const live = shadowRecord('acme', 'agent-7', 'live', 1, { updatedAt: T0 - 10_000 });
        for (const record of [old, edge, young, live]) await store.putShadow(record, undefined);
        await store.putShadow(tombstone(old, T0 - 1), 1);
        await store.putShadow(tombstone(edge, T0), 1);
        await store.putShadow(tombstone(young, T0 + 1), 1);

        assert.equal(await store.purgeTombstones(T0), 1);
        assert.equal(await store.getShadow('acme', 'agent-7', 'old'), undefined);
        // `before` is exclusive.
        assert.equal((await store.getShadow('acme', 'agent-7', 'edge'))?.deletedAt, T0);
        assert.equal((await store.getShadow('globex', 'agent-9', CLASSIC_SHADOW))?.deletedAt, T0 + 1);
        assert.deepEqual(await store.getShadow('acme', 'agent-7', 'live'), live);
        assert.equal(await store.purgeTombstones(T0), 0);

        // Purged, the name is free again: a create from nothing succeeds.
        assert.equal(await store.putShadow(shadowRecord('acme', 'agent-7', 'old', 1), undefined), true);
        assert.equal(await store.purgeTombstones(T0 + 2), 2);
        assert.deepEqual((await store.listShadowNames('acme', 'agent-7', { limit: 10 })).names, ['live', 'old']);
      }));

    it('lists named shadows bytewise, in pages cut by limit and cursor, without the classic shadow', () =>
      withStore(async (store) => {
        // Every character class AWS allows in a shadow name; bytewise: $ < - < 0-9 < : < A-Z < _ < a-z.
        const names = ['zeta', 'Zeta', '_x', 'a', 'A', '9', '0', ':c', '-b', '$a', 'a-b', 'a_b', 'aa', 'B'];
        for (const each of names) await store.putShadow(shadowRecord('acme', 'agent-7', each, 1), undefined);
        await store.putShadow(shadowRecord('acme', 'agent-7', CLASSIC_SHADOW, 1), undefined);
        await store.putShadow(shadowRecord('acme', 'agent-8', 'not-mine', 1), undefined);
        const bytewise = ['$a', '-b', '0', '9', ':c', 'A', 'B', 'Zeta', '_x', 'a', 'a-b', 'a_b', 'aa', 'zeta'];

        const whole = await store.listShadowNames('acme', 'agent-7', { limit: 1000 });
        assert.deepEqual(whole, { names: bytewise });
        for (const limit of [1, 3, 7, 13]) {
          const { names: paged, pages } = await allNames(store, 'acme', 'agent-7', limit);
          assert.deepEqual(paged, bytewise, `pages of ${limit}`);
          assert.equal(pages, Math.ceil(bytewise.length / limit), `page count for ${limit}`);
        }
        // A page that ends exactly at the last name says no more follow.
        assert.deepEqual(await store.listShadowNames('acme', 'agent-7', { limit: bytewise.length }), { names: bytewise });
        // The cursor need not be a stored name: the page starts after it.
        assert.deepEqual(await store.listShadowNames('acme', 'agent-7', { limit: 2, cursor: 'Z' }), { names: ['Zeta', '_x'], nextCursor: '_x' });
        assert.deepEqual(await store.listShadowNames('acme', 'agent-7', { limit: 5, cursor: 'zeta' }), { names: [] });
      }));

    it('orders names by their UTF-8 bytes, not by UTF-16 code units', () =>
      withStore(async (store) => {
        // U+FFFF is EF BF BF in UTF-8 and sorts before U+1F600 (F0 9F 98 80); in UTF-16 it sorts after (FFFF > D83D).
        for (const each of ['\u{1F600}', '\uFFFF', 'é', 'z']) await store.putShadow(shadowRecord('acme', 'agent-7', each, 1), undefined);
        assert.deepEqual((await store.listShadowNames('acme', 'agent-7', { limit: 10 })).names, ['z', 'é', '\uFFFF', '\u{1F600}']);
        assert.deepEqual((await store.listShadowNames('acme', 'agent-7', { limit: 10, cursor: '\uFFFF' })).names, ['\u{1F600}']);
      }));

    it('refuses page limits outside 1 to 1000', () =>
      withStore(async (store) => {
        for (const limit of [0, -1, 1001, 1.5, Number.NaN]) {
          await assert.rejects(store.listShadowNames('acme', 'agent-7', { limit }), {
            name: 'RangeError',
            message: `Cannot list shadows: limit ${limit} is not an integer from 1 to 1000`,
          });
        }
        assert.deepEqual(await store.listShadowNames('acme', 'agent-7', { limit: 1000 }), { names: [] });
      }));

    it('refuses versions and times no backend can store, writing nothing', () =>
      withStore(async (store) => {
        const bad: Array<[ShadowRecord, number | undefined]> = [
          [shadowRecord('acme', 'agent-7', 'x', -1), undefined],
          [shadowRecord('acme', 'agent-7', 'x', 1.5), undefined],
          [shadowRecord('acme', 'agent-7', 'x', 2 ** 53), undefined],
          [shadowRecord('acme', 'agent-7', 'x', 1), Number.NaN],
          [shadowRecord('acme', 'agent-7', 'x', 1, { updatedAt: Number.POSITIVE_INFINITY }), undefined],
          [shadowRecord('acme', 'agent-7', 'x', 1, { deletedAt: 0.5 }), undefined],
        ];
        for (const [record, expected] of bad) await assert.rejects(store.putShadow(record, expected), { name: 'RangeError' });
        await assert.rejects(store.putShadow(shadowRecord('acme', 'agent-7', 'x', 1, { state: 7 as unknown as string }), undefined), { name: 'TypeError' });
        await assert.rejects(store.purgeTombstones(Number.NaN), { name: 'RangeError' });
        assert.equal(await store.getShadow('acme', 'agent-7', 'x'), undefined);
      }));

    it('keeps state and metadata text exactly, large and non-ASCII included', () =>
      withStore(async (store) => {
        const desired = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`key-${i}`, `välue ✓ ${i} "quoted" \\ \n`]));
        const record = shadowRecord('acme', 'agent-7', CLASSIC_SHADOW, 1, {
          state: JSON.stringify({ desired }),
          metadata: ' { "desired" : {} } ',
          updatedAt: 8_640_000_000_000,
        });
        assert.ok(record.state.length > 10_000);
        await store.putShadow(record, undefined);
        assert.deepEqual(await store.getShadow('acme', 'agent-7', CLASSIC_SHADOW), record);
      }));

    it('lets exactly one of many concurrent writers from one version win, across two stores on the same data', () =>
      withStore(async (store, harness) => {
        const elsewhere = await harness.reopen();
        await store.putShadow(shadowRecord('acme', 'agent-7', CLASSIC_SHADOW, 1), undefined);
        const writers = Array.from({ length: 24 }, (_, i) => {
          const record = shadowRecord('acme', 'agent-7', CLASSIC_SHADOW, 2, { state: `{"writer":${i}}` });
          return (i % 2 === 0 ? store : elsewhere).putShadow(record, 1).then((won) => ({ i, won }));
        });
        const outcomes = await Promise.all(writers);
        const winners = outcomes.filter((outcome) => outcome.won);
        assert.equal(winners.length, 1);
        assert.deepEqual(await elsewhere.getShadow('acme', 'agent-7', CLASSIC_SHADOW), shadowRecord('acme', 'agent-7', CLASSIC_SHADOW, 2, { state: `{"writer":${winners[0]?.i}}` }));

        // Concurrent creates of one new shadow: one row, the winner's.
        const creators = Array.from({ length: 24 }, (_, i) =>
          (i % 2 === 0 ? elsewhere : store).putShadow(shadowRecord('acme', 'agent-7', 'fresh', 1, { state: `{"creator":${i}}` }), undefined).then((won) => ({ i, won })),
        );
        const created = (await Promise.all(creators)).filter((outcome) => outcome.won);
        assert.equal(created.length, 1);
        assert.equal((await store.getShadow('acme', 'agent-7', 'fresh'))?.state, `{"creator":${created[0]?.i}}`);
      }));

    it('loses no update when concurrent writers read, retry and increment through two stores', () =>
      withStore(async (store, harness) => {
        const elsewhere = await harness.reopen();
        const perWriter = 15;
        let conflicts = 0;
        async function increment(on: ShadowStore, writer: number): Promise<void> {
          for (let done = 0; done < perWriter; ) {
            const current = await on.getShadow('acme', 'agent-7', 'counter');
            const next = shadowRecord('acme', 'agent-7', 'counter', (current?.version ?? 0) + 1, { state: `{"writer":${writer}}` });
            if (await on.putShadow(next, current?.version)) done++;
            else conflicts++;
          }
        }
        await Promise.all(Array.from({ length: 6 }, (_, writer) => increment(writer % 2 === 0 ? store : elsewhere, writer)));
        assert.equal((await store.getShadow('acme', 'agent-7', 'counter'))?.version, 6 * perWriter);
        // The writers start together and interleave at every await, so some must have lost a round;
        // none losing would mean the race this test is about never happened.
        assert.ok(conflicts > 0, 'some writer lost a compare-and-set');
      }));

    it('keeps shadows and tombstones across reopening', () =>
      withStore(async (store, harness) => {
        await store.putShadow(shadowRecord('acme', 'agent-7', 'config', 1), undefined);
        await store.putShadow(shadowRecord('acme', 'agent-7', 'config', 2), 1);
        const gone = tombstone(shadowRecord('acme', 'agent-7', 'gone', 1), T0);
        await store.putShadow(shadowRecord('acme', 'agent-7', 'gone', 1), undefined);
        await store.putShadow(gone, 1);
        const reopened = await harness.reopen();
        assert.deepEqual(await reopened.getShadow('acme', 'agent-7', 'config'), shadowRecord('acme', 'agent-7', 'config', 2));
        assert.deepEqual(await reopened.getShadow('acme', 'agent-7', 'gone'), gone);
        assert.equal(await reopened.putShadow(shadowRecord('acme', 'agent-7', 'config', 3), 1), false);
        assert.equal(await reopened.putShadow(shadowRecord('acme', 'agent-7', 'config', 3), 2), true);
        assert.equal((await store.getShadow('acme', 'agent-7', 'config'))?.version, 3);
      }));

    it('refuses every verb once closed', () =>
      withStore(async (_store, harness) => {
        const other = await harness.reopen();
        await other.close();
        const closed = { name: 'GatehouseError', code: 'STORE_UNAVAILABLE' };
        await assert.rejects(other.getShadow('acme', 'agent-7', CLASSIC_SHADOW), closed);
        await assert.rejects(other.putShadow(shadowRecord('acme', 'agent-7', CLASSIC_SHADOW, 1), undefined), closed);
        await assert.rejects(other.listShadowNames('acme', 'agent-7', { limit: 1 }), closed);
        await assert.rejects(other.purgeTombstones(T0), closed);
      }));
  });
}
