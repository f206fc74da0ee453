/**
 * `POST /v1/cas`' work: register a customer's CA once its owner has proved they hold its key, by
 * signing a verification certificate whose CN is the tenant's registration code (AWS RegisterCACertificate).
 */
import { GatehouseError } from '../../core/index.js';
import { PkiError, verifyCaRegistration, type VerifiedCaRegistration } from '../../pki/index.js';
import type { CaRecord } from '../../store/index.js';
import { caRegistrationCode } from './ca-registration-code.js';
import type { CaRegistrationRequest } from './ca-schemas.js';
import type { IdentityServices } from './identity-services.js';

const reasonPrefix = 'Cannot register the CA: ';

/**
 * Checks the proof of possession and registers the CA for the tenant, ACTIVE. Throws GatehouseError:
 * `CA_REGISTRATION_INVALID` (400: not a CA, expired, verification certificate not signed by it or
 * its CN is not the registration code), `NOT_FOUND` (404, no such provisioning template), `CONFLICT`
 * (409, already registered for the tenant, or Gatehouse's own CA).
 *
 * @example
 * const record = await registerCustomerCa(services, { caCertificatePem, verificationCertificatePem, autoRegistration: true });
 */
export async function registerCustomerCa(services: IdentityServices, request: CaRegistrationRequest): Promise<CaRecord> {
  const tenant = request.tenant ?? services.defaultTenant;
  const now = services.now?.() ?? new Date();
  const registrationCode = await caRegistrationCode(services.signingKey, tenant);
  const verified = verify({ caCertificatePem: request.caCertificatePem, verificationCertificatePem: request.verificationCertificatePem, registrationCode, now });
  if (verified.caId === services.ca?.id) {
    throw new GatehouseError('CONFLICT', { reason: `Cannot register CA "${verified.caId}" as a customer CA: it is Gatehouse's own CA` });
  }
  const template = request.provisioningTemplate;
  if (template !== undefined && (await services.store.getTemplate(tenant, template)) === undefined) {
    throw new GatehouseError('NOT_FOUND', { what: 'Provisioning template', id: template });
  }
  const record: CaRecord = {
    id: verified.caId,
    tenant,
    certificatePem: verified.caCertificatePem,
    kind: 'customer',
    status: 'ACTIVE',
    autoRegistration: request.autoRegistration ?? false,
    ...(template === undefined ? {} : { provisioningTemplate: template }),
    createdAt: now.getTime(),
    subject: verified.subject,
    notAfter: verified.notAfter.getTime(),
  };
  // putCa replaces; the check and the insert share a transaction so a second upload is refused, never merged.
  await services.store.transaction(async (tx) => {
    if ((await tx.getCa(tenant, record.id)) !== undefined) {
      throw new GatehouseError('CONFLICT', { reason: `Cannot register CA "${record.id}": it is already registered for tenant "${tenant}"` });
    }
    await tx.putCa(record);
  });
  return record;
}

function verify(options: Parameters<typeof verifyCaRegistration>[0]): VerifiedCaRegistration {
  try {
    return verifyCaRegistration(options);
  } catch (error) {
    if (!(error instanceof PkiError)) throw error;
    const reason = error.message.startsWith(reasonPrefix) ? error.message.slice(reasonPrefix.length) : error.message;
    throw new GatehouseError('CA_REGISTRATION_INVALID', { reason });
  }
}
