import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesNoProxy, parseProxyUrl, proxyForUrl, redact } from './proxy-for-url.ts';

const url = (text: string): URL => new URL(text);

test('HTTPS_PROXY (or https_proxy) is used for mqtts and wss endpoints', () => {
  assert.equal(proxyForUrl(url('mqtts://iot.example.com:443'), { HTTPS_PROXY: 'http://u:p@proxy:3128' })?.host, 'proxy:3128');
  assert.equal(proxyForUrl(url('wss://iot.example.com/mqtt'), { https_proxy: 'proxy.corp:8080' })?.href, 'http://proxy.corp:8080/');
  assert.equal(proxyForUrl(url('wss://iot.example.com/mqtt'), { HTTP_PROXY: 'http://proxy:3128' }), undefined);
  assert.equal(proxyForUrl(url('wss://iot.example.com/mqtt'), {}), undefined);
});

test('NO_PROXY names hosts, their subdomains, IPs, CIDR blocks and ports', () => {
  const cases: Array<[string, string, boolean]> = [
    ['mqtts://iot.example.com:443', 'example.com', true],
    ['mqtts://iot.example.com:443', '.example.com', true],
    ['mqtts://iot.example.com:443', '*.example.com', true],
    ['mqtts://example.com:443', '.example.com', true],
    ['mqtts://iot.example.com:443', 'ample.com', false],
    ['mqtts://notexample.com:443', 'example.com', false],
    ['mqtts://iot.example.com:443', 'other.org, iot.example.com', true],
    ['mqtts://iot.example.com:443', 'other.org iot.example.com', true],
    ['mqtts://IOT.Example.COM:443', 'iot.example.com', true],
    ['mqtts://iot.example.com:443', '*', true],
    ['mqtts://iot.example.com:443', '', false],
    ['mqtts://iot.example.com:443', 'iot.example.com:443', true],
    ['mqtts://iot.example.com:8883', 'iot.example.com:443', false],
    ['mqtts://iot.example.com', 'iot.example.com:8883', true],
    ['wss://iot.example.com/mqtt', 'iot.example.com:443', true],
    ['mqtts://10.1.2.3:8883', '10.1.2.3', true],
    ['mqtts://10.1.2.3:8883', '10.1.2.4', false],
    ['mqtts://10.1.2.3:8883', '10.0.0.0/8', true],
    ['mqtts://11.1.2.3:8883', '10.0.0.0/8', false],
    ['mqtts://10.1.2.3:8883', '10.0.0.0/8:443', false],
    ['mqtts://[::1]:8883', '::1', true],
    ['mqtts://[::1]:8883', '[::1]:8883', true],
    ['mqtts://[fd00::5]:8883', 'fd00::/8', true],
    ['mqtts://localhost:8883', 'localhost', true],
    ['mqtts://1.2.3.4:8883', '.3.4', false],
  ];
  for (const [endpoint, noProxy, expected] of cases) assert.equal(matchesNoProxy(url(endpoint), noProxy), expected, `${endpoint} with NO_PROXY=${noProxy}`);
});

test('NO_PROXY (or no_proxy) overrides HTTPS_PROXY', () => {
  assert.equal(proxyForUrl(url('mqtts://iot.example.com:443'), { HTTPS_PROXY: 'proxy:3128', no_proxy: 'example.com' }), undefined);
  assert.ok(proxyForUrl(url('mqtts://iot.example.org:443'), { HTTPS_PROXY: 'proxy:3128', NO_PROXY: 'example.com' }));
});

test('an unusable proxy URL is refused without showing its password', () => {
  assert.throws(() => parseProxyUrl('socks5://u:secret@proxy:1080'), (error: Error) => error instanceof TypeError && !error.message.includes('secret') && error.message.includes('socks5'));
  assert.throws(() => parseProxyUrl('http://u:secret@[bad'), (error: Error) => !error.message.includes('secret'));
  assert.equal(redact('http://user:pw@proxy:1'), 'http://user:***@proxy:1');
});
