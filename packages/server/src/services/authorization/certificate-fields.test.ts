import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CertificateRecord } from '../../store/index.js';
import { opensslCertificate } from './authorization-fixtures.js';
import { nameAttributes, policyCertificate, subjectAlternativeNames } from './certificate-fields.js';

describe('certificate fields', () => {
  it('reads subject, issuer and alternative names of a real certificate, values unescaped and in order', () => {
    const pem = opensslCertificate(
      '/C=FR/O=Acme, Inc./OU=ops/OU=field+L=Lyon/CN=agent-7/serialNumber=42/title=Robot/SN=Sur/GN=Giv/dnQualifier=dq/ST=Rhone',
      'DNS:a.example,DNS:b.example,IP:10.0.0.1,email:ops@acme.example,URI:urn:acme:agent-7',
    );
    const record = { certificatePem: pem, serialNumber: '0a1b', notBefore: 1, notAfter: 2 } as CertificateRecord;
    const certificate = policyCertificate(record);
    assert.deepEqual(certificate.subject.attributes, {
      Country: ['FR'], Organization: ['Acme, Inc.'], OrganizationalUnit: ['ops', 'field'], CommonName: ['agent-7'], SerialNumber: ['42'],
      Title: ['Robot'], Surname: ['Sur'], GivenName: ['Giv'], DistinguishedNameQualifier: ['dq'], State: ['Rhone'],
    });
    assert.deepEqual(certificate.issuer.attributes, certificate.subject.attributes, 'self-signed');
    assert.deepEqual(certificate.subject.alternativeNames, {
      DNSName: ['a.example', 'b.example'], IPAddress: ['10.0.0.1'], RFC822Name: ['ops@acme.example'], UniformResourceIdentifier: ['urn:acme:agent-7'],
    });
    assert.equal(certificate.serialNumber, '0a1b');
    assert.equal(certificate.notAfter, 2);
  });

  it("takes Node's quoted alternative names and RFC 4514 escapes apart", () => {
    assert.deepEqual(subjectAlternativeNames('DirName:"O=org\\u002cCN=dn1", DNS:x.example, URI:"urn:a, b"'), {
      DirectoryName: ['O=org,CN=dn1'], DNSName: ['x.example'], UniformResourceIdentifier: ['urn:a, b'],
    });
    assert.deepEqual(nameAttributes('O=A\\+B + OU=x\nCN=tab\\09end'), { Organization: ['A+B'], OrganizationalUnit: ['x'], CommonName: ['tab\tend'] });
  });

  it('gives empty names for a PEM Node cannot read, so policies on them match nothing', () => {
    const certificate = policyCertificate({ certificatePem: 'not a certificate', serialNumber: '01', notBefore: 1, notAfter: 2 } as CertificateRecord);
    assert.deepEqual(certificate.subject, {});
    assert.equal(certificate.serialNumber, '01');
  });
});
