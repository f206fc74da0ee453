/** The embedded SQLite store. Only app/ imports this folder. */
export { createSqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export { createSqliteIdentityStore } from './sqlite-identity-store.js';
export { createSqliteShadowStore } from './sqlite-shadow-store.js';
export { createSqliteConnectivityStore } from './sqlite-connectivity-store.js';
