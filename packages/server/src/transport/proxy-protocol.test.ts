import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatIpv6, maxV1Length, parseProxyHeader, type ProxyParseResult } from './proxy-protocol.js';

const signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

/** A v2 header: version/command byte, family/protocol byte, the address block and any TLVs. */
function v2(versionCommand: number, familyProtocol: number, block: Buffer): Buffer {
  const length = Buffer.alloc(2);
  length.writeUInt16BE(block.length);
  return Buffer.concat([signature, Buffer.from([versionCommand, familyProtocol]), length, block]);
}

function ipv4Block(source: number[], destination: number[], sourcePort: number, destinationPort: number): Buffer {
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sourcePort, 0);
  ports.writeUInt16BE(destinationPort, 2);
  return Buffer.concat([Buffer.from(source), Buffer.from(destination), ports]);
}

function tlv(type: number, value: Buffer): Buffer {
  const head = Buffer.alloc(3);
  head[0] = type;
  head.writeUInt16BE(value.length, 1);
  return Buffer.concat([head, value]);
}

const mqttConnect = Buffer.from([0x10, 0x0c, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x3c, 0x00, 0x00]);

describe('parseProxyHeader v1', () => {
  it('reads TCP4 and TCP6 lines and says where the client bytes start', () => {
    const line = 'PROXY TCP4 203.0.113.7 10.0.0.5 51234 8883\r\n';
    const result = parseProxyHeader(Buffer.concat([Buffer.from(line), mqttConnect]));
    assert.deepEqual(result, {
      kind: 'header',
      header: { kind: 'proxied', version: 1, length: line.length, source: { address: '203.0.113.7', port: 51234 }, destination: { address: '10.0.0.5', port: 8883 } },
    });
    const six = parseProxyHeader(Buffer.from('PROXY TCP6 2001:DB8:0:0:0:0:0:7 ::1 1 65535\r\n'));
    assert.equal(six.kind === 'header' && six.header.kind === 'proxied' && six.header.source.address, '2001:db8::7');
  });

  it('takes UNKNOWN (with anything up to CRLF) as a connection with no client named', () => {
    assert.deepEqual(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n')), { kind: 'header', header: { kind: 'local', version: 1, length: 15 } });
    assert.deepEqual(parseProxyHeader(Buffer.from('PROXY UNKNOWN ffff::1 ::2 3 4\r\n')).kind, 'header');
  });

  it('refuses malformed lines', () => {
    for (const line of [
      'PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n',
      'PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n',
      'PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n',
      'PROXY TCP4 1.2.3.256 1.2.3.4 1 2\r\n',
      'PROXY TCP4 ::1 1.2.3.4 1 2\r\n',
      'PROXY TCP6 1.2.3.4 ::1 1 2\r\n',
      'PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n',
      'PROXY TCP4 1.2.3.4 1.2.3.4 -1 2\r\n',
    ]) {
      assert.equal(parseProxyHeader(Buffer.from(line)).kind, 'invalid', line);
    }
  });

  it('bounds the line at 107 bytes', () => {
    const long = Buffer.from(`PROXY UNKNOWN ${'x'.repeat(maxV1Length)}`);
    assert.equal(parseProxyHeader(long.subarray(0, maxV1Length - 1)).kind, 'incomplete');
    assert.deepEqual(parseProxyHeader(long), { kind: 'invalid', reason: 'the v1 header has no CRLF within 107 bytes' });
    const longest = `PROXY UNKNOWN ${'x'.repeat(maxV1Length - 16)}\r\n`;
    assert.equal(longest.length, maxV1Length);
    assert.equal(parseProxyHeader(Buffer.from(longest)).kind, 'header');
  });
});

describe('parseProxyHeader v2', () => {
  it('reads PROXY over IPv4 and skips TLVs', () => {
    const block = Buffer.concat([ipv4Block([198, 51, 100, 9], [10, 0, 0, 5], 40000, 1883), tlv(0x01, Buffer.from('mqtt')), tlv(0xea, Buffer.from('vpce-0123'))]);
    const header = v2(0x21, 0x11, block);
    assert.deepEqual(parseProxyHeader(Buffer.concat([header, mqttConnect])), {
      kind: 'header',
      header: { kind: 'proxied', version: 2, length: header.length, source: { address: '198.51.100.9', port: 40000 }, destination: { address: '10.0.0.5', port: 1883 } },
    });
  });

  it('reads PROXY over IPv6', () => {
    const block = Buffer.alloc(36);
    block.set([0x20, 0x01, 0x0d, 0xb8], 0);
    block[15] = 7;
    block[31] = 1;
    block.writeUInt16BE(443, 32);
    block.writeUInt16BE(8883, 34);
    const result = parseProxyHeader(v2(0x21, 0x21, block));
    assert.deepEqual(result.kind === 'header' && result.header.kind === 'proxied' && [result.header.source, result.header.destination], [{ address: '2001:db8::7', port: 443 }, { address: '::1', port: 8883 }]);
  });

  it('takes LOCAL, UNSPEC and UNIX as the connection itself, skipping whatever block they carry', () => {
    assert.deepEqual(parseProxyHeader(v2(0x20, 0x00, Buffer.alloc(0))), { kind: 'header', header: { kind: 'local', version: 2, length: 16 } });
    assert.deepEqual(parseProxyHeader(v2(0x20, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2))), { kind: 'header', header: { kind: 'local', version: 2, length: 28 } });
    assert.deepEqual(parseProxyHeader(v2(0x21, 0x00, Buffer.alloc(0))), { kind: 'header', header: { kind: 'local', version: 2, length: 16 } });
    assert.deepEqual(parseProxyHeader(v2(0x21, 0x31, Buffer.alloc(216))), { kind: 'header', header: { kind: 'local', version: 2, length: 232 } });
  });

  it('refuses other versions, commands, families, datagrams and short address blocks', () => {
    assert.match(reason(parseProxyHeader(v2(0x11, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)))), /version 1, not 2/);
    assert.match(reason(parseProxyHeader(v2(0x22, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)))), /command 2/);
    assert.match(reason(parseProxyHeader(v2(0x21, 0x41, Buffer.alloc(12)))), /unknown address family/);
    assert.match(reason(parseProxyHeader(v2(0x21, 0x12, Buffer.alloc(12)))), /datagram/);
    assert.match(reason(parseProxyHeader(v2(0x21, 0x11, Buffer.alloc(11)))), /IPv4 address block is 11 bytes/);
    assert.match(reason(parseProxyHeader(v2(0x21, 0x21, Buffer.alloc(35)))), /IPv6 address block is 35 bytes/);
  });

  it('refuses a header longer than the bound as soon as its length is known', () => {
    const preamble = v2(0x21, 0x11, Buffer.alloc(5000)).subarray(0, 16);
    assert.match(reason(parseProxyHeader(preamble)), /5016 bytes, more than the 4096 allowed/);
    assert.equal(parseProxyHeader(preamble, { maxHeaderBytes: 6000 }).kind, 'incomplete');
  });
});

describe('parseProxyHeader on arbitrary input', () => {
  it('says absent for bytes that start like MQTT, TLS or HTTP', () => {
    for (const first of [mqttConnect, Buffer.from([0x16, 0x03, 0x01]), Buffer.from('GET /mqtt HTTP/1.1\r\n'), Buffer.from('PROXZ'), Buffer.from([0x0d, 0x0a, 0x0d, 0x0b])]) {
      assert.equal(parseProxyHeader(first).kind, 'absent');
    }
  });

  it('gives the same answer for every split of a header into chunks, and incomplete for every proper prefix', () => {
    const headers = fc.oneof(
      fc.tuple(fc.ipV4(), fc.ipV4(), fc.nat(65535), fc.nat(65535)).map(([s, d, sp, dp]) => Buffer.from(`PROXY TCP4 ${s} ${d} ${sp} ${dp}\r\n`)),
      fc.tuple(fc.ipV6(), fc.ipV6(), fc.nat(65535), fc.nat(65535)).map(([s, d, sp, dp]) => Buffer.from(`PROXY TCP6 ${s} ${d} ${sp} ${dp}\r\n`)),
      fc.tuple(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 300 }), fc.constantFrom(0x11, 0x21), fc.boolean()).map(([addresses, tlvs, family, local]) =>
        v2(local ? 0x20 : 0x21, family, Buffer.concat([Buffer.from(addresses), family === 0x21 ? Buffer.alloc(24) : Buffer.alloc(0), Buffer.from(tlvs)])),
      ),
    );
    fc.assert(
      fc.property(headers, fc.uint8Array({ maxLength: 40 }), (header, after) => {
        const whole = parseProxyHeader(Buffer.concat([header, after]));
        assert.equal(whole.kind, 'header');
        assert.equal(whole.kind === 'header' && whole.header.length, header.length);
        for (let cut = 0; cut < header.length; cut++) assert.equal(parseProxyHeader(header.subarray(0, cut)).kind, 'incomplete', `prefix of ${cut}`);
      }),
    );
  });

  it('never throws and never claims more bytes than it was given', () => {
    const noisy = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.uint8Array({ maxLength: 200 }).map((tail) => Buffer.concat([Buffer.from('PROXY '), Buffer.from(tail)])),
      fc.uint8Array({ maxLength: 200 }).map((tail) => Buffer.concat([signature, Buffer.from(tail)])),
    );
    fc.assert(
      fc.property(noisy, (bytes) => {
        const result = parseProxyHeader(bytes);
        if (result.kind === 'header') assert.ok(result.header.length <= bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes IPv6 addresses as RFC 5952 text that names the same address', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const text = formatIpv6(bytes);
        const reparsed = parseProxyHeader(Buffer.from(`PROXY TCP6 ${text} ::1 1 2\r\n`));
        assert.equal(reparsed.kind === 'header' && reparsed.header.kind === 'proxied' && reparsed.header.source.address, text);
        assert.doesNotMatch(text, /[A-F]|:::|(^|:)0[0-9a-f]/);
      }),
    );
    assert.equal(formatIpv6(Buffer.from('20010db8000000010000000000000001', 'hex')), '2001:db8:0:1::1');
    assert.equal(formatIpv6(Buffer.from('00000000000000000000ffffcb007107', 'hex')), '::ffff:203.0.113.7');
  });
});

function reason(result: ProxyParseResult): string {
  return result.kind === 'invalid' ? result.reason : `not invalid: ${result.kind}`;
}
