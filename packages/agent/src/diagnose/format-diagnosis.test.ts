import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDiagnosisContext } from './diagnosis-context.ts';
import { formatDiagnosis } from './format-diagnosis.ts';

test('the human form: a line per step, the ask under a failure only, and the step to fix first', () => {
  const text = formatDiagnosis({
    endpoint: 'mqtts://iot.example.com:443',
    ok: false,
    failedStep: 'tcp',
    steps: [
      { step: 'dns', status: 'pass', cause: 'iot.example.com resolves to 203.0.113.10', ask: 'never shown for a pass', durationMs: 1 },
      { step: 'proxy', status: 'skipped', cause: 'Proxy not used: HTTPS_PROXY is not set', durationMs: 0 },
      { step: 'tcp', status: 'fail', cause: 'No answer from 203.0.113.10:443 within 10000 ms', ask: 'Ask the firewall admin to allow outbound TCP 443 to 203.0.113.10', durationMs: 10000 },
    ],
  });
  assert.deepEqual(text.split('\n'), [
    'Diagnosis of mqtts://iot.example.com:443',
    '  PASS  DNS                      iot.example.com resolves to 203.0.113.10',
    '  SKIP  Proxy                    Proxy not used: HTTPS_PROXY is not set',
    '  FAIL  TCP connect              No answer from 203.0.113.10:443 within 10000 ms',
    '        ask: Ask the firewall admin to allow outbound TCP 443 to 203.0.113.10',
    'Result: the TCP connect step failed; fix that first',
    '',
  ]);
});

test('the proxy decision and its reason follow HTTPS_PROXY, NO_PROXY and the option', () => {
  const endpoint = 'mqtts://iot.example.com:443';
  const decide = (env: Record<string, string>, proxy?: string | false): string => {
    const context = createDiagnosisContext({ endpoint, tls: {}, env, ...(proxy === undefined ? {} : { proxy }) });
    return `${context.proxy?.host ?? '-'} ${context.proxyReason}`;
  };
  assert.equal(decide({}), '- not used: HTTPS_PROXY is not set');
  assert.equal(decide({ HTTPS_PROXY: 'proxy.corp:3128' }), 'proxy.corp:3128 from HTTPS_PROXY');
  assert.equal(decide({ HTTPS_PROXY: 'proxy.corp:3128', NO_PROXY: '.example.com' }), '- not used: NO_PROXY names iot.example.com');
  assert.equal(decide({ HTTPS_PROXY: 'proxy.corp:3128' }, false), '- not used: turned off (--no-proxy)');
  assert.equal(decide({}, 'http://other:8080'), 'other:8080 given as an option');
});

test('unusable options are TypeErrors naming them', () => {
  assert.throws(() => createDiagnosisContext({ endpoint: 'not a url', tls: {} }), /Cannot diagnose "not a url": it is not a URL/);
  assert.throws(() => createDiagnosisContext({ endpoint: 'mqtt://iot.example.com:1883', tls: {} }), /only mqtts:\/\/ and wss:\/\/ endpoints/);
  assert.throws(() => createDiagnosisContext({ endpoint: 'mqtts://iot.example.com', tls: {}, proxy: 'socks5://p:1080' }), /only http:\/\/ and https:\/\/ proxies/);
});
