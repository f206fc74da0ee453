/** Identity primitives: pure, storage-free checks every authentication method is built from. */
export { AuthError } from './auth-error.js';
export type { AuthFailureReason } from './auth-error.js';
export type { Principal, PrincipalKind } from './principal.js';
export { checkPasswordHash, hashPassword, verifyPassword } from './password-hash.js';
export { createTokenSigningKey, exportTokenSigningKey, importTokenSigningKey } from './token-signing-key.js';
export type { TokenSigningAlgorithm, TokenSigningKey } from './token-signing-key.js';
export {
  mintRegistrationToken, registrationTokenAudience, registrationTokenIssuer, registrationTokenType, verifyRegistrationToken,
} from './registration-token.js';
export type { MintRegistrationTokenOptions, MintedRegistrationToken, RegistrationClaims, VerifyRegistrationTokenOptions } from './registration-token.js';
export {
  issueTemporaryCredentials, maxCredentialSeconds, minCredentialSeconds, resolveTemporaryCredentials,
} from './temporary-credentials.js';
export type {
  CredentialPrincipal, CredentialsProviderResponse, IssueTemporaryCredentialsOptions, ResolvedCredentials,
} from './temporary-credentials.js';
export { iotWebSocketService, verifyPresignedUrl } from './sigv4.js';
export type { ResolvedSecret, VerifiedPresignedUrl, VerifyPresignedUrlOptions } from './sigv4.js';
export { presignWebSocketUrl } from './sigv4-presign.js';
export type { PresignWebSocketUrlOptions } from './sigv4-presign.js';
export { clientIdMatches, defaultAuthTokenAlgorithms, toPublicJwks, verifyAuthToken } from './jwt-auth.js';
export type { AuthTokenClaimNames, AuthTokenPrincipal, VerifiedAuthToken, VerifyAuthTokenOptions } from './jwt-auth.js';
export {
  authorizerNameKey, authorizerSignatureKey, parseCustomAuthorizerHeaders, parseCustomAuthorizerQuery, parseMqttUsername, redactMqttUsername,
} from './custom-authorizer.js';
export type { CustomAuthorizerInput, ParsedMqttUsername } from './custom-authorizer.js';
export { checkValidity, createCertificateAuthenticator } from './certificate-authenticator.js';
export type { CertificateAuthenticatorOptions, CertificateConnectEvent, CertificateDecision } from './certificate-authenticator.js';
export { deactivateCertificate, disconnectCertificate, revokeCertificate } from './certificate-revocation.js';
export type { CertificateStatusChange, CertificateStatusChangeOptions, PrincipalConnections } from './certificate-revocation.js';
export { startCertificateRecheck } from './certificate-recheck.js';
export type { CertificateRecheck, CertificateRecheckOptions } from './certificate-recheck.js';
export { createSigV4Authenticator } from './sigv4-authenticator.js';
export type { SigV4AuthenticatorOptions } from './sigv4-authenticator.js';
export { deferDecision, denyDecision } from './connect-decision.js';
export type { ConnectDecision, CredentialConnectEvent } from './connect-decision.js';
export { loadAuthorizerKeys, parseAuthorizerKeys } from './authorizer-keys.js';
export { createTokenAuthenticator } from './token-authenticator.js';
export type { TokenAuthenticatorOptions, TokenAuthorizer } from './token-authenticator.js';
export { loadPasswordFile, parsePasswordFile } from './password-file.js';
export type { PasswordUser } from './password-file.js';
export { createPasswordAuthenticator } from './password-authenticator.js';
export type { PasswordAuthenticatorOptions } from './password-authenticator.js';
export * from './policy/index.js';
