import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../../auth/index.js';
import { ipAddress, principalIdentifier } from './presence-payloads.js';
import { clientIdHasEvents, presenceEventTopic } from './topics.js';

const base = { tenant: 'acme', clientId: 'c', sourceIp: '', attributes: {} };

describe('presence payload fields', () => {
  it('names the principal by certificate id, else by how it authenticated and as whom', () => {
    assert.equal(principalIdentifier({ ...base, kind: 'certificate', certificateId: 'ab12', thingName: 't' } as Principal), 'ab12');
    assert.equal(principalIdentifier({ ...base, kind: 'sigv4', certificateId: 'cd34' } as Principal), 'cd34');
    assert.equal(principalIdentifier({ ...base, kind: 'token', thingName: 'agent-7' } as Principal), 'token:agent-7');
    assert.equal(principalIdentifier({ ...base, kind: 'password' } as Principal), 'password:c');
    assert.equal(principalIdentifier({ ...base, kind: 'anonymous' } as Principal), 'anonymous');
    assert.equal(principalIdentifier(undefined), '');
  });

  it('shows IPv4 peers of dual-stack sockets as IPv4', () => {
    assert.equal(ipAddress('::ffff:192.0.2.7'), '192.0.2.7');
    assert.equal(ipAddress('2001:db8::1'), '2001:db8::1');
    assert.equal(ipAddress('192.0.2.7'), '192.0.2.7');
  });

  it('puts events under the tenant, and none for client ids with wildcards', () => {
    assert.equal(presenceEventTopic('acme', 'disconnected', 'agent-7'), '$tenants/acme/$aws/events/presence/disconnected/agent-7');
    assert.equal(presenceEventTopic('acme', 'subscribed', 'agent-7'), '$tenants/acme/$aws/events/subscriptions/subscribed/agent-7');
    assert.equal(presenceEventTopic('acme', 'connect_failed', 'x'), '$tenants/acme/$aws/events/presence/connect_failed/x');
    assert.equal(clientIdHasEvents('a+b'), false);
    assert.equal(clientIdHasEvents('a#'), false);
    assert.equal(clientIdHasEvents('agent-7'), true);
  });
});
