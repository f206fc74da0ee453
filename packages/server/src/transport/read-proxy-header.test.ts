import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { readProxyHeader, trustedSourceList, type ProxiedSocket, type ProxyProtocolPolicy } from './read-proxy-header.js';

/** A server that runs readProxyHeader on each connection and reports the outcome plus the first client bytes after it. */
async function withServer(trustedSources: string[], policy: Omit<ProxyProtocolPolicy, 'trustedSources'>, send: (socket: Socket) => Promise<void>): Promise<{ result?: ProxiedSocket; error?: Error; rest: Buffer }> {
  const trusted = trustedSourceList(trustedSources);
  const outcome = new Promise<{ result?: ProxiedSocket; error?: Error; rest: Buffer }>((resolve) => {
    server.once('connection', (raw: Socket) => {
      readProxyHeader(raw, { trusted, policy }).then(
        (result) => {
          const chunks: Buffer[] = [];
          result.socket.on('data', (chunk: Buffer) => chunks.push(chunk));
          result.socket.on('end', () => resolve({ result, rest: Buffer.concat(chunks) }));
        },
        (error: Error) => resolve({ error, rest: Buffer.alloc(0) }),
      );
    });
  });
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.on('error', () => undefined);
  await once(client, 'connect');
  await send(client);
  const value = await outcome;
  client.destroy();
  return value;
}

let server: Server;
before(async () => {
  server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
after(() => server.close());

describe('readProxyHeader', () => {
  it('reads a header sent a byte at a time, and gives the client bytes after it untouched', async () => {
    const bytes = Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.5 51234 1883\r\nhello');
    const { result, rest } = await withServer(['127.0.0.0/8'], {}, async (client) => {
      for (const byte of bytes) {
        client.write(Buffer.from([byte]));
        await sleep(1);
      }
      client.end(' world');
    });
    assert.deepEqual(result?.peer, { address: '203.0.113.7', port: 51234 });
    assert.equal(result?.proxied, true);
    assert.equal(rest.toString(), 'hello world');
  });

  it('passes a client from an untrusted address that sends no header, bytes intact', async () => {
    const { result, rest } = await withServer(['10.0.0.0/8'], {}, async (client) => void client.end('\x10abc'));
    assert.equal(result?.proxied, false);
    assert.equal(result?.peer.address, '127.0.0.1');
    assert.equal(rest.toString(), '\x10abc');
  });

  it('refuses a header from an untrusted address', async () => {
    const { error } = await withServer(['10.0.0.0/8', '::1'], {}, async (client) => void client.write('PROXY TCP4 203.0.113.7 10.0.0.5 1 2\r\n'));
    assert.match(error?.message ?? '', /^Refused 127\.0\.0\.1:\d+: it sent a PROXY protocol header but is not a trusted source$/);
  });

  it('refuses a trusted address without a header when one is required, and passes it when not', async () => {
    const refused = await withServer(['127.0.0.1'], {}, async (client) => void client.write('\x10abc'));
    assert.match(refused.error?.message ?? '', /a trusted source must send a PROXY protocol header/);
    const passed = await withServer(['127.0.0.1'], { required: false }, async (client) => void client.end('\x10abc'));
    assert.equal(passed.rest.toString(), '\x10abc');
  });

  it('refuses malformed and oversize headers, and one that does not arrive in time', async () => {
    const bad = await withServer(['127.0.0.1'], {}, async (client) => void client.write('PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\n'));
    assert.match(bad.error?.message ?? '', /ports are not numbers/);
    const preamble = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x10, 0x00]);
    const big = await withServer(['127.0.0.1'], { maxHeaderBytes: 1024 }, async (client) => void client.write(preamble));
    assert.match(big.error?.message ?? '', /4112 bytes, more than the 1024 allowed/);
    const slow = await withServer(['127.0.0.1'], { timeoutMs: 100 }, async (client) => void client.write('PROXY TCP4 1.2.3.4'));
    assert.match(slow.error?.message ?? '', /no complete PROXY protocol header within 100 ms/);
  });

  it('names a bad trusted source', () => {
    assert.throws(() => trustedSourceList(['10.0.0.0/33']), /Invalid trusted source "10\.0\.0\.0\/33"/);
    assert.throws(() => trustedSourceList(['lb.example.com']), /Invalid trusted source "lb\.example\.com"/);
    assert.ok(trustedSourceList(['::/0']).check('2001:db8::1', 'ipv6'));
  });
});
