/** PKI: the first-run local CA and server certificate, and issuing certificates from a CA. */
export { ensureLocalPki, localPkiPaths, serverAltNames, type LocalPki, type LocalPkiPaths } from './local-pki.js';
export { issueClientCertificate, issueLeafCertificate, type IssuedCertificate, type IssueLeafOptions } from './issue-certificate.js';
