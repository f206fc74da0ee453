/** The in-memory BrokerStore. */
export { MemoryStore, MemoryTables, type MemoryStoreOptions } from './memory-store.js';
