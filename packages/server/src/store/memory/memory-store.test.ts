import { runBrokerStoreContract } from '../contract/index.js';
import { MemoryStore } from './memory-store.js';

runBrokerStoreContract('memory', async () => {
  const store = new MemoryStore();
  await store.open();
  return {
    store,
    // A second MemoryStore on the same tables stands in for reopening a file.
    async reopen() {
      const reopened = new MemoryStore({ tables: store.tables });
      await reopened.open();
      return reopened;
    },
    cleanup: () => store.close(),
  };
});
