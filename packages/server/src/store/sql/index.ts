/** The Kysely BrokerStore shared by the SQLite and PostgreSQL factories. */
export { SqlBrokerStore, type SqlBrokerStoreOptions } from './sql-store.js';
export type { BrokerDatabase, SqlDialectName } from './schema.js';
export { messageColumns } from './row-codec.js';
export {
  SqlIdentityStore,
  type SqlIdentityStoreOptions,
} from './sql-identity-store.js';
export type {
  IdentityDatabase,
  CaCertificatesTable,
  DeviceCertificatesTable,
  RegistrationTokensTable,
  ProvisioningTemplatesTable,
} from './identity-rows.js';
export type { RegistryDatabase, ThingsTable, PoliciesTable, PolicyAttachmentsTable, RoleAliasesTable } from './registry-rows.js';
export { SqlShadowStore, type SqlShadowStoreOptions, type ShadowDatabase, type ShadowsTable } from './sql-shadow-store.js';
export {
  SqlConnectivityStore, type SqlConnectivityStoreOptions, type ConnectivityDatabase, type ThingConnectivityTable,
} from './sql-connectivity-store.js';
