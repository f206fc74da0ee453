import { runConnectivityStoreContract } from '../contract/connectivity-store.contract.js';
import { MemoryConnectivityStore } from './memory-connectivity-store.js';

runConnectivityStoreContract('memory', async () => {
  const store = new MemoryConnectivityStore();
  await store.open();
  return {
    store,
    // A second store on the same tables stands in for a restarted process.
    async reopen() {
      const reopened = new MemoryConnectivityStore({ tables: store.tables });
      await reopened.open();
      return reopened;
    },
    cleanup: () => store.close(),
  };
});
