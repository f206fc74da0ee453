/**
 * Reads the certificate facts policies may test (`iot:Certificate.Subject.*`, `.Issuer.*`,
 * `.Subject.AlternativeName.*`) from a registered certificate, with Node's `X509Certificate`.
 */
import { X509Certificate } from 'node:crypto';
import type { AlternativeNameKind, CertificateNameFields, DistinguishedNameAttribute, PolicyCertificate } from '../../auth/index.js';
import type { CertificateRecord } from '../../store/index.js';

/** Node's short names (as `X509Certificate.subject` writes them) of the attributes AWS exposes. */
const attributeNames: Readonly<Record<string, DistinguishedNameAttribute>> = {
  dnQualifier: 'DistinguishedNameQualifier',
  C: 'Country',
  O: 'Organization',
  OU: 'OrganizationalUnit',
  ST: 'State',
  CN: 'CommonName',
  serialNumber: 'SerialNumber',
  title: 'Title',
  SN: 'Surname',
  GN: 'GivenName',
  initials: 'Initials',
  pseudonym: 'Pseudonym',
  generationQualifier: 'GenerationQualifier',
};

/** Node's `subjectAltName` prefixes and the AWS kind each is. */
const alternativeNames: Readonly<Record<string, AlternativeNameKind>> = {
  email: 'RFC822Name',
  DNS: 'DNSName',
  DirName: 'DirectoryName',
  URI: 'UniformResourceIdentifier',
  'IP Address': 'IPAddress',
};

/**
 * The policy view of a certificate record: subject and issuer attributes decoded from its PEM,
 * subject alternative names, and serial number and validity from the record. Issuer alternative
 * names are not read (Node does not expose the extension). A PEM Node cannot read gives names
 * without attributes, so policies built on them match nothing rather than failing the connection.
 *
 * @example
 * const certificate = policyCertificate(await identity.getCertificate(principal.certificateId));
 * certificate.subject.attributes?.CommonName; // ['agent-7']
 */
export function policyCertificate(record: CertificateRecord): PolicyCertificate {
  let subject: CertificateNameFields = {};
  let issuer: CertificateNameFields = {};
  try {
    const x509 = new X509Certificate(record.certificatePem);
    subject = { attributes: nameAttributes(x509.subject), alternativeNames: subjectAlternativeNames(x509.subjectAltName) };
    issuer = { attributes: nameAttributes(x509.issuer) };
  } catch {
    // The registry only holds certificates that parsed when they were registered; nothing to add.
  }
  return { subject, issuer, serialNumber: record.serialNumber, notBefore: record.notBefore, notAfter: record.notAfter };
}

/**
 * Node's multi-line name text (`C=FR\nO=Acme\, Inc.\nOU=a + L=Lyon`) as attribute lists in
 * certificate order, values unescaped.
 *
 * @example
 * nameAttributes('O=Acme\\, Inc.\nOU=a\nOU=b'); // { Organization: ['Acme, Inc.'], OrganizationalUnit: ['a', 'b'] }
 */
export function nameAttributes(text: string): Partial<Record<DistinguishedNameAttribute, string[]>> {
  const attributes: Partial<Record<DistinguishedNameAttribute, string[]>> = {};
  for (const line of text.split('\n')) {
    // A multi-valued RDN prints as `OU=b + L=Lyon`; a `+` inside a value is escaped as `\+`.
    for (const part of line.split(/(?<!\\) \+ /)) {
      const equals = part.indexOf('=');
      if (equals <= 0) continue;
      const attribute = attributeNames[part.slice(0, equals)];
      if (attribute === undefined) continue;
      (attributes[attribute] ??= []).push(unescapeValue(part.slice(equals + 1)));
    }
  }
  return attributes;
}

/**
 * Node's `subjectAltName` text (`DNS:a.example, IP Address:10.0.0.1, DirName:"O=org\u002cCN=x"`) as
 * lists per AWS kind. Node writes a value as a JSON string when it holds characters that would make
 * the text ambiguous.
 *
 * @example
 * subjectAlternativeNames('DNS:a.example, email:x@y.z'); // { DNSName: ['a.example'], RFC822Name: ['x@y.z'] }
 */
export function subjectAlternativeNames(text: string | undefined): Partial<Record<AlternativeNameKind, string[]>> {
  const names: Partial<Record<AlternativeNameKind, string[]>> = {};
  if (text === undefined) return names;
  let at = 0;
  while (at < text.length) {
    const colon = text.indexOf(':', at);
    if (colon < 0) break;
    const kind = alternativeNames[text.slice(at, colon)];
    let value: string;
    let end: number;
    if (text[colon + 1] === '"') {
      end = closingQuote(text, colon + 2) + 1;
      try {
        value = JSON.parse(text.slice(colon + 1, end)) as string;
      } catch {
        value = text.slice(colon + 2, end - 1);
      }
    } else {
      end = text.indexOf(', ', colon);
      if (end < 0) end = text.length;
      value = text.slice(colon + 1, end);
    }
    if (kind !== undefined) (names[kind] ??= []).push(value);
    at = end + 2;
  }
  return names;
}

function closingQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}

/** RFC 4514 escapes as OpenSSL prints them: `\,` and the like, and `\XX` hex pairs for bytes. */
function unescapeValue(value: string): string {
  if (!value.includes('\\')) return value;
  return value.replace(/\\([0-9A-Fa-f]{2}|.)/g, (_, escaped: string) => (escaped.length === 2 ? String.fromCharCode(parseInt(escaped, 16)) : escaped));
}
