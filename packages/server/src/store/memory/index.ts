/** The in-memory BrokerStore. */
export { MemoryStore, MemoryTables, type MemoryStoreOptions } from './memory-store.js';
/** The in-memory IdentityStore. */
export { MemoryIdentityStore, MemoryIdentityTables, type MemoryIdentityStoreOptions } from './memory-identity-store.js';
/** The in-memory ShadowStore. */
export { MemoryShadowStore, MemoryShadowTables, type MemoryShadowStoreOptions } from './memory-shadow-store.js';
/** The in-memory ConnectivityStore. */
export { MemoryConnectivityStore, MemoryConnectivityTables, type MemoryConnectivityStoreOptions } from './memory-connectivity-store.js';
