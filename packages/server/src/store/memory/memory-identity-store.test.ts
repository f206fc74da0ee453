import { runIdentityStoreContract } from '../contract/identity-store.contract.js';
import { MemoryIdentityStore } from './memory-identity-store.js';

runIdentityStoreContract('memory', async () => {
  const store = new MemoryIdentityStore();
  await store.open();
  return {
    store,
    // A second MemoryIdentityStore on the same tables stands in for reopening a file.
    async reopen() {
      const reopened = new MemoryIdentityStore({ tables: store.tables });
      await reopened.open();
      return reopened;
    },
    cleanup: () => store.close(),
  };
});
