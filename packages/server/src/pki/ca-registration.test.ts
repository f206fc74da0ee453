import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { certificateId, registrationCode, verifyCaRegistration } from './index.js';
import { openssl, scratch } from './test-fixtures.js';

/** A customer's CA and a verification certificate made with openssl only, as the AWS guide does it. */
function customerCa(s: ReturnType<typeof scratch>, name: string, code: string, options: { caExtensions?: string } = {}): { caPem: string; verificationPem: string } {
  const run = (args: string[]) => {
    const result = openssl(args);
    assert.equal(result.status, 0, result.output);
  };
  run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', s.path(`${name}.key`)]);
  run(['req', '-x509', '-new', '-key', s.path(`${name}.key`), '-subj', `/CN=${name}`, '-days', '30', '-addext', options.caExtensions ?? 'basicConstraints=critical,CA:TRUE', '-out', s.path(`${name}.pem`)]);
  run(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', s.path(`${name}-v.key`)]);
  run(['req', '-new', '-key', s.path(`${name}-v.key`), '-subj', `/CN=${code}`, '-out', s.path(`${name}-v.csr`)]);
  run(['x509', '-req', '-in', s.path(`${name}-v.csr`), '-CA', s.path(`${name}.pem`), '-CAkey', s.path(`${name}.key`), '-CAcreateserial', '-days', '1', '-out', s.path(`${name}-v.pem`)]);
  return { caPem: s.read(`${name}.pem`), verificationPem: s.read(`${name}-v.pem`) };
}

describe('registrationCode / verifyCaRegistration', () => {
  const s = scratch();
  after(() => s.remove());

  it('makes 64-hex random codes', () => {
    const [a, b] = [registrationCode(), registrationCode()];
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.notEqual(a, b);
  });

  it('accepts a CA with a verification certificate it signed whose CN is the code', () => {
    const code = registrationCode();
    const { caPem, verificationPem } = customerCa(s, 'good', code);
    const verified = verifyCaRegistration({ caCertificatePem: caPem, verificationCertificatePem: verificationPem, registrationCode: code });
    assert.equal(verified.caId, certificateId(caPem));
    assert.match(verified.subject, /CN=good/);
  });

  it('refuses with a reason: wrong code, signed by another CA, not a CA, garbage', () => {
    const code = registrationCode();
    const good = customerCa(s, 'ca1', code);
    const other = customerCa(s, 'ca2', code);
    const refused = (caCertificatePem: string, verificationCertificatePem: string, registration: string, reason: RegExp) =>
      assert.throws(() => verifyCaRegistration({ caCertificatePem, verificationCertificatePem, registrationCode: registration }), { code: 'CA_REGISTRATION_INVALID', message: reason });
    refused(good.caPem, good.verificationPem, registrationCode(), /^Cannot register the CA: the verification certificate's CN is not the registration code$/);
    refused(good.caPem, other.verificationPem, code, /the verification certificate is not signed by the CA certificate/);
    const leaf = customerCa(s, 'leaf', code, { caExtensions: 'basicConstraints=critical,CA:FALSE' });
    refused(leaf.caPem, leaf.verificationPem, code, /the CA certificate is not a CA/);
    const noSign = customerCa(s, 'nosign', code, { caExtensions: 'keyUsage=critical,digitalSignature' });
    refused(noSign.caPem, noSign.verificationPem, code, /not a CA|keyCertSign/);
    refused('nope', good.verificationPem, code, /the CA certificate is not a valid PEM certificate/);
    assert.throws(
      () => verifyCaRegistration({ caCertificatePem: good.caPem, verificationCertificatePem: good.verificationPem, registrationCode: code, now: new Date(Date.now() + 40 * 86400_000) }),
      /the CA certificate has expired/,
    );
  });
});
