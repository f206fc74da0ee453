import { runShadowStoreContract } from '../contract/shadow-store.contract.js';
import { MemoryShadowStore } from './memory-shadow-store.js';

runShadowStoreContract('memory', async () => {
  const store = new MemoryShadowStore();
  await store.open();
  return {
    store,
    // A second MemoryShadowStore on the same tables stands in for a second process.
    async reopen() {
      const reopened = new MemoryShadowStore({ tables: store.tables });
      await reopened.open();
      return reopened;
    },
    cleanup: () => store.close(),
  };
});
