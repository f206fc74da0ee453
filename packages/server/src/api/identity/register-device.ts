/**
 * `POST /v1/register`'s work: check the token and the CSR, use the token up, sign the certificate
 * with CN = thing, and register it with its thing (from the token's provisioning template, or a plain
 * thing with the token's attributes and groups); either all of it happens or none.
 */
import { AuthError, verifyRegistrationToken, type AuthFailureReason, type RegistrationClaims } from '../../auth/index.js';
import { GatehouseError } from '../../core/index.js';
import { certificateChainPem, PkiError, signDeviceCertificate, verifyCsr, type ParsedCsr } from '../../pki/index.js';
import { provisionRegisteredDevice } from '../../services/index.js';
import type { CertificateRecord } from '../../store/index.js';
import { crlPath } from './ca-crl.js';
import { gatehouseCaRecord, type IdentityServices } from './identity-services.js';
import type { Registered, RegisterRequest } from './identity-schemas.js';

/**
 * Trades a registration token and a CSR for a registered certificate. Throws GatehouseError:
 * `REGISTRATION_TOKEN_INVALID` (401), `FORBIDDEN` (403, another tenant's token),
 * `REGISTRATION_TOKEN_USED` (409), `CSR_REJECTED` (400), `NOT_READY` (503, no local CA), and from
 * provisioning `PROVISIONING_FAILED` (400: the token's template is missing, disabled or does not fit)
 * and `CONFLICT` (409: a FAIL override met an existing thing).
 *
 * The token is consumed only after the CSR has been checked and the certificate signed, in one
 * transaction with the certificate's insert: a bad CSR leaves the token usable, and of two
 * concurrent requests with one token the store lets exactly one consume it.
 *
 * @example
 * const answer = await registerDevice(services, { token, csr: csrPem });
 * console.log(answer.certificateId);
 */
export async function registerDevice(services: IdentityServices, request: RegisterRequest): Promise<Registered> {
  const { ca, store } = services;
  if (ca === undefined) {
    throw new GatehouseError('NOT_READY', { reason: 'registration needs the local CA, and the TLS settings point at other files' });
  }
  const now = services.now?.() ?? new Date();
  const claims = await checkToken(services, request, now);
  const csr = await checkCsr(request.csr);
  const crl = crlUrl(services, ca.id);
  const signed = await signDeviceCertificate({ ca, csr, commonName: claims.thing, days: services.certificateDays, now, ...(crl === undefined ? {} : { crlDistributionPoints: [crl] }) });
  const at = now.getTime();
  const record: CertificateRecord = {
    id: signed.id,
    tenant: claims.tenant,
    thing: claims.thing,
    status: 'ACTIVE',
    certificatePem: signed.certificatePem,
    caId: ca.id,
    serialNumber: signed.serialNumber,
    subject: `CN=${claims.thing}`,
    notBefore: signed.notBefore.getTime(),
    notAfter: signed.notAfter.getTime(),
    issuedBy: 'register',
    createdAt: at,
    updatedAt: at,
  };
  const provisioned = await store.transaction(async (tx) => {
    const outcome = await tx.consumeToken(claims.jti, at);
    switch (outcome) {
      case 'consumed':
        break;
      case 'already-used':
        throw new GatehouseError('REGISTRATION_TOKEN_USED');
      case 'expired':
        throw new GatehouseError('REGISTRATION_TOKEN_INVALID', { reason: 'has expired; ask for a new one' });
      case 'unknown':
        throw new GatehouseError('REGISTRATION_TOKEN_INVALID', { reason: 'is not one this Gatehouse issued (no record of it)' });
      default:
        outcome satisfies never;
    }
    if ((await tx.getCa(claims.tenant, ca.id)) === undefined) await tx.putCa(gatehouseCaRecord(ca, claims.tenant, at));
    return provisionRegisteredDevice(tx, {
      tenant: claims.tenant,
      thing: claims.thing,
      ...(claims.template === undefined ? {} : { template: claims.template }),
      attributes: claims.attributes,
      groups: claims.groups,
      certificate: record,
      now: at,
    });
  });
  const endpoints = services.endpoints();
  return {
    certificateId: signed.id,
    certificatePem: signed.certificatePem,
    // With an intermediate the chain lets the agent present leaf + intermediate; the root is what it trusts.
    certificateChainPem: certificateChainPem(services.rootCa === undefined || services.rootCa.id === ca.id ? [signed.certificatePem] : [signed.certificatePem, ca]),
    caCertificatePem: (services.rootCa ?? ca).certificatePem,
    endpoints: { ...(endpoints.mqtts && { mqtts: endpoints.mqtts }), ...(endpoints.wss && { wss: endpoints.wss }) },
    thingName: provisioned.thing?.name ?? claims.thing,
    tenant: claims.tenant,
    deviceConfiguration: { ...provisioned.deviceConfiguration },
  };
}

async function checkToken(services: IdentityServices, request: RegisterRequest, now: Date): Promise<RegistrationClaims> {
  try {
    return await verifyRegistrationToken(request.token, {
      verificationKeys: [services.signingKey.publicJwk],
      now,
      ...(request.tenant === undefined ? {} : { expectedTenant: request.tenant }),
    });
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    if (error.reason === 'other-tenant') throw new GatehouseError('FORBIDDEN', { reason: `the registration token belongs to another tenant than "${request.tenant ?? ''}"` });
    throw new GatehouseError('REGISTRATION_TOKEN_INVALID', { reason: tokenReason(error.reason) });
  }
}

function tokenReason(reason: AuthFailureReason): string {
  switch (reason) {
    case 'expired':
      return 'has expired; ask for a new one';
    case 'bad-signature':
    case 'unknown-key':
      return 'is not signed by this Gatehouse';
    case 'not-yet-valid':
      return 'is not valid yet';
    default:
      return `is not a valid registration token (${reason})`;
  }
}

async function checkCsr(pem: string): Promise<ParsedCsr> {
  try {
    return await verifyCsr(pem);
  } catch (error) {
    if (error instanceof PkiError) throw new GatehouseError('CSR_REJECTED', { reason: error.message });
    throw error;
  }
}

/** The public CRL on the same agent-facing port as registration, when that port is known. */
function crlUrl(services: IdentityServices, caId: string): string | undefined {
  const register = services.endpoints().register;
  return register === undefined ? undefined : new URL(crlPath(caId), register).toString();
}
