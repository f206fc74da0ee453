/**
 * The broker's durable store: the ports every backend implements, the in-memory backend and the
 * group commit the hot path writes through. SQLite and PostgreSQL live in store/sqlite and
 * store/postgres, which only app/ imports.
 */
export type * from './ports.js';
export type * from './identity-ports.js';
export { MAX_CERTIFICATE_PAGE } from './identity-ports.js';
export type * from './policy-ports.js';
export type * from './tenant-ports.js';
export type * from './audit-ports.js';
export type * from './thing-group-ports.js';
export { MAX_THING_GROUP_DEPTH } from './thing-group-ports.js';
export type * from './registry-ports.js';
export { MAX_THING_GROUPS_PER_THING, REGISTRY_EVENT_TYPES } from './registry-ports.js';
export type * from './shadow-ports.js';
export { CLASSIC_SHADOW, SHADOW_TOMBSTONE_MS } from './shadow-ports.js';
export type * from './connectivity-ports.js';
export { MAX_CONNECTIVITY_LIST } from './connectivity-ports.js';
export { MAX_POLICY_VERSIONS, POLICY_CHANGE_RETENTION_MS } from './policy-ports.js';
export { MemoryStore, MemoryTables, type MemoryStoreOptions } from './memory/index.js';
export { MemoryIdentityStore, MemoryIdentityTables, type MemoryIdentityStoreOptions } from './memory/index.js';
export { MemoryShadowStore, MemoryShadowTables, type MemoryShadowStoreOptions } from './memory/index.js';
export { MemoryConnectivityStore, MemoryConnectivityTables, type MemoryConnectivityStoreOptions } from './memory/index.js';
export { GroupCommit, type GroupCommitOptions, type GroupCommitStats } from './group-commit.js';
