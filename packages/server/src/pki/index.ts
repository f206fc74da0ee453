/**
 * PKI: the first-run local CA and server certificate, CA keys at rest, intermediates, CSR checks and
 * device certificates, chain checks, customer CA registration and CRLs. Pure operations: no storage.
 */
export { ensureLocalPki, loadCa, loadSigningCa, localPkiPaths, readCaKey, serverAltNames, type GatehouseCas, type LocalPki, type LocalPkiPaths } from './local-pki.js';
export { issueClientCertificate, issueLeafCertificate, type IssuedCertificate, type IssueLeafOptions } from './issue-certificate.js';
export { decryptPrivateKey, encryptPrivateKey, isEncryptedPrivateKey, readKeySecret } from './key-encryption.js';
export { caFromPem, type CertificateAuthority } from './certificate-authority.js';
export { gatehouseCaRecord } from './gatehouse-ca-record.js';
export { certificateChainPem, createIntermediateCa, type IntermediateCa } from './intermediate-ca.js';
export { parseCsr, verifyCsr, type CsrKeyInfo, type ParsedCsr } from './csr.js';
export { signDeviceCertificate, type SignDeviceCertificateOptions, type SignedDeviceCertificate } from './sign-device-certificate.js';
export { createDeviceKey, type DeviceKey } from './device-key.js';
export { certificateId } from './certificate-id.js';
export { verifyChain, type ChainFailure, type ChainRefusal, type ChainVerdict } from './verify-chain.js';
export { registrationCode, verifyCaRegistration, type VerifiedCaRegistration } from './ca-registration.js';
export { createCrl, type RevokedEntry } from './crl.js';
export { PkiError, type PkiErrorCode } from './pki-error.js';
export { distinguishedNameText } from './subject-text.js';
