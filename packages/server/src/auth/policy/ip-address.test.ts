import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ipInBlock, parseIpBlock, type IpBlock } from './ip-address.js';

const block = (text: string): IpBlock => {
  const parsed = parseIpBlock(text);
  assert.ok(parsed, text);
  return parsed;
};
const inBlock = (address: string, cidr: string): boolean => ipInBlock(block(address), block(cidr));

test('IPv4 addresses fall inside their CIDR blocks only', () => {
  assert.equal(inBlock('203.0.113.9', '203.0.113.0/24'), true);
  assert.equal(inBlock('203.0.114.9', '203.0.113.0/24'), false);
  assert.equal(inBlock('10.200.3.4', '10.0.0.0/8'), true);
  assert.equal(inBlock('11.0.0.1', '10.0.0.0/8'), false);
  assert.equal(inBlock('192.168.1.130', '192.168.1.128/25'), true);
  assert.equal(inBlock('192.168.1.127', '192.168.1.128/25'), false);
  assert.equal(inBlock('123.45.167.89', '123.45.167.89'), true);
  assert.equal(inBlock('123.45.167.90', '123.45.167.89'), false);
  assert.equal(inBlock('8.8.8.8', '0.0.0.0/0'), true);
  // Host bits in the block are ignored, as IAM does.
  assert.equal(inBlock('10.9.9.9', '10.1.2.3/8'), true);
});

test('IPv6 blocks, compressed forms and zone ids', () => {
  assert.equal(inBlock('2001:db8::1', '2001:db8::/32'), true);
  assert.equal(inBlock('2001:db9::1', '2001:db8::/32'), false);
  assert.equal(inBlock('2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'), true);
  assert.equal(inBlock('fe80::1%eth0', 'fe80::/10'), true);
  assert.equal(inBlock('::1', '::1/128'), true);
  assert.equal(inBlock('2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'), true);
  assert.equal(inBlock('2001:db8:1:3:3:4:5:6', '2001:db8:1:2::/64'), false);
});

test('an IPv4-mapped IPv6 peer is matched as IPv4; the families never mix otherwise', () => {
  assert.equal(inBlock('::ffff:203.0.113.9', '203.0.113.0/24'), true);
  assert.equal(inBlock('203.0.113.9', '::ffff:203.0.113.0/120'), true);
  assert.equal(inBlock('203.0.113.9', '::/0'), false);
  assert.equal(inBlock('2001:db8::1', '0.0.0.0/0'), false);
});

test('malformed addresses and blocks are refused', () => {
  for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.4/33', '1.2.3.4/', '1.2.3.4/x', '2001:db8::/129', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', 'localhost', '1:2:3:4:5:6:7::8']) {
    assert.equal(parseIpBlock(bad), undefined, bad);
  }
});
