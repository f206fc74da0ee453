/** The PostgreSQL store. Only app/ imports this folder. */
export { createPostgresStore, type PostgresStoreOptions } from './postgres-store.js';
export { createPostgresIdentityStore } from './postgres-identity-store.js';
export { createPostgresShadowStore } from './postgres-shadow-store.js';
export { createPostgresConnectivityStore } from './postgres-connectivity-store.js';
