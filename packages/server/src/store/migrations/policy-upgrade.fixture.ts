/**
 * Test support for the 0005 upgrade: a database migrated only up to 0004 holding a policy (version 3)
 * attached to a certificate, as a store of that release left it. Not used at run time.
 */
import assert from 'node:assert/strict';
import { sql, type Kysely } from 'kysely';
import type { IdentityStoreBackend } from '../identity-ports.js';
import type { SqlDialectName } from '../sql/schema.js';
import { migrateBefore } from './migrate-before.fixture.js';

const document = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:Connect","Resource":"*"}]}';

/** Migrates `db` to 0004 only (with the bookkeeping tables migrateToLatest uses) and writes the old policy rows. */
export async function seedBefore0005(db: Kysely<unknown>, options: { readonly dialect: SqlDialectName; readonly schema?: string }): Promise<void> {
  await migrateBefore(db, options, '0005');
  await sql`INSERT INTO policies (tenant, name, document, version, created_at, updated_at) VALUES ('acme', 'agent', ${document}, 3, 1000, 2000)`.execute(db);
  await sql`INSERT INTO policy_attachments (tenant, policy_name, target_kind, target_id) VALUES ('acme', 'agent', 'certificate', 'c1')`.execute(db);
}

/** What the upgraded store must answer about the seeded policy. */
export async function assertUpgraded(store: IdentityStoreBackend): Promise<void> {
  assert.deepEqual(await store.getPolicy('acme', 'agent'), { tenant: 'acme', name: 'agent', document, version: 3, createdAt: 1000, updatedAt: 2000 });
  assert.deepEqual(await store.listPolicyVersions('acme', 'agent'), [{ tenant: 'acme', name: 'agent', versionId: 3, document, isDefault: true, createdAt: 2000 }]);
  assert.equal((await store.createPolicyVersion('acme', 'agent', document, {}, 3000)).versionId, 4);
  assert.deepEqual((await store.listPoliciesAttachedTo('acme', [{ kind: 'certificate', id: 'c1' }])).map((each) => each.name), ['agent']);
  assert.equal(await store.deletePolicy('acme', 'agent', 4000), true);
  assert.deepEqual((await store.listPolicyChanges(0, 10)).map((each) => each.at), [3000, 4000]);
}
