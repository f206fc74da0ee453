/** The Kysely BrokerStore shared by the SQLite and PostgreSQL factories. */
export { SqlBrokerStore, type SqlBrokerStoreOptions } from './sql-store.js';
export type { BrokerDatabase, SqlDialectName } from './schema.js';
export { messageColumns } from './row-codec.js';
export {
  SqlIdentityStore,
  type SqlIdentityStoreOptions,
  type IdentityDatabase,
  type CaCertificatesTable,
  type DeviceCertificatesTable,
  type RegistrationTokensTable,
  type ProvisioningTemplatesTable,
} from './sql-identity-store.js';
