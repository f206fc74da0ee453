import { runConnectivityStoreContract } from '../contract/connectivity-store.contract.js';
import { createPostgresConnectivityStore } from './postgres-connectivity-store.js';
import { connection, describeUnreachable, postgresReachable, testSchemas } from './postgres-test-harness.js';

const available = await postgresReachable();

if (!available) {
  describeUnreachable('ConnectivityStore contract: postgres');
} else {
  // One fresh schema per test store, all under one random prefix, dropped at the end.
  const schemas = testSchemas();

  runConnectivityStoreContract('postgres', async () => {
    const schema = await schemas.fresh();
    const store = createPostgresConnectivityStore({ connection, schema });
    await store.open();
    const opened: { close(): Promise<void> }[] = [store];
    return {
      store,
      async reopen() {
        const reopened = createPostgresConnectivityStore({ connection, schema });
        await reopened.open();
        opened.push(reopened);
        return reopened;
      },
      async cleanup() {
        for (const each of opened) await each.close();
      },
    };
  });
}
