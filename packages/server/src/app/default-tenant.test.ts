/** startGatehouse makes the default tenant's record on the first start and leaves it alone on later ones. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../core/index.js';
import { loadConfig } from './config.js';
import { startGatehouse } from './serve.js';

test('the default tenant exists after the first start and keeps an operator\'s changes across a restart', async () => {
  const root = await mkdtemp(join(tmpdir(), 'gatehouse-default-tenant-'));
  try {
    const set = ['mqtt', 'mqtts', 'ws', 'wss', 'admin'].map((name) => `listeners.${name}.port=0`).concat('identity.defaultTenant=home-co');
    const { config, explicitPorts } = await loadConfig({ env: {}, cwd: root, flags: { home: join(root, 'home'), set } });
    const first = await startGatehouse(config, { explicitPorts, logger: silentLogger(), banner: false });
    try {
      const tenant = await first.identity.getTenant('home-co');
      assert.equal(tenant?.status, 'ACTIVE');
      assert.deepEqual((await first.identity.listTenants({ limit: 10 })).items.map((each) => each.id), ['home-co']);
      await first.identity.putTenant({ ...tenant!, name: 'Home Co.' });
    } finally {
      await first.close();
    }
    const second = await startGatehouse(config, { explicitPorts, logger: silentLogger(), banner: false });
    try {
      assert.equal((await second.identity.getTenant('home-co'))?.name, 'Home Co.');
    } finally {
      await second.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
