/**
 * Just-in-time provisioning: a client certificate nobody registered, signed by a registered CA with
 * auto-registration and a provisioning template, is registered and provisioned from that template on
 * its first connect, in one transaction.
 */
import { X509Certificate } from 'node:crypto';
import { GatehouseError, type Logger } from '../../core/index.js';
import { distinguishedNameText } from '../../pki/index.js';
import type { CaRecord, CertificateRecord, IdentityStore } from '../../store/index.js';
import { applyProvisioningPlan } from './apply-plan.js';
import { subjectParameters } from './subject-parameters.js';
import { evaluateTemplate } from './template.js';

export interface JitpProvisionerOptions {
  readonly identity: IdentityStore;
  readonly logger: Logger;
  /** Epoch ms; for tests. */
  readonly now?: () => number;
}

/**
 * Provisions an unknown certificate. Answers the registered record (its status is the template's,
 * ACTIVE unless the template says INACTIVE), or undefined when no ACTIVE, auto-registering CA with a
 * template issued it, or when provisioning failed (the reason is logged). Store failures are thrown,
 * so the caller refuses the connection as "unavailable" rather than "unknown".
 */
export type JitpProvisioner = (der: Buffer, certificateId: string) => Promise<CertificateRecord | undefined>;

/**
 * Makes the provisioner the certificate authenticator calls for a certificate it does not know
 * (`provisionUnknown`). Steps, as AWS's JITP: find the CAs whose subject is the certificate's issuer,
 * keep the ACTIVE ones with auto-registration and a template, check the signature and the validity
 * dates, evaluate the template with the subject's fields as parameters (a declared field the subject
 * lacks fails provisioning), then register the certificate and apply the plan in one transaction.
 *
 * @example
 * const provisionUnknown = createJitpProvisioner({ identity, logger });
 * const authenticate = createCertificateAuthenticator({ identity, logger, provisionUnknown });
 */
export function createJitpProvisioner(options: JitpProvisionerOptions): JitpProvisioner {
  const logger = options.logger.child({ component: 'jitp' });
  const clock = options.now ?? Date.now;
  return async (der, certificateId) => {
    let leaf: X509Certificate;
    try {
      leaf = new X509Certificate(der);
    } catch {
      logger.info({ certificateId }, 'just-in-time provisioning skipped: the client certificate cannot be parsed');
      return undefined;
    }
    const now = clock();
    const ca = await findIssuer(options.identity, leaf, now, (reason) => logger.warn({ certificateId }, `just-in-time provisioning refused: ${reason}`));
    if (ca === undefined) return undefined;
    const log = { certificateId, tenant: ca.tenant, caId: ca.id, template: ca.provisioningTemplate };
    const refuse = (reason: string): undefined => {
      logger.warn(log, `just-in-time provisioning failed: ${reason}`);
      return undefined;
    };
    const notBefore = new Date(leaf.validFrom).getTime();
    const notAfter = new Date(leaf.validTo).getTime();
    if (now < notBefore || now >= notAfter) return refuse(`the certificate is valid only from ${new Date(notBefore).toISOString()} to ${new Date(notAfter).toISOString()}`);

    const templateName = ca.provisioningTemplate!;
    const template = await options.identity.getTemplate(ca.tenant, templateName);
    if (template === undefined) return refuse(`tenant "${ca.tenant}" has no provisioning template "${templateName}"`);
    if (!template.enabled) return refuse(`provisioning template "${templateName}" is disabled`);

    const record: CertificateRecord = {
      id: certificateId,
      tenant: ca.tenant,
      status: 'PENDING_ACTIVATION',
      certificatePem: leaf.toString(),
      caId: ca.id,
      serialNumber: leaf.serialNumber.toLowerCase(),
      subject: distinguishedNameText(leaf.subject),
      notBefore,
      notAfter,
      issuedBy: 'jitp',
      createdAt: now,
      updatedAt: now,
    };
    try {
      const plan = evaluateTemplate(template.body, subjectParameters(leaf.subject), { certificateId });
      const applied = await options.identity.transaction((tx) => applyProvisioningPlan(tx, plan, { tenant: ca.tenant, certificate: record, now }));
      logger.info({ ...log, thing: applied.thing?.name, status: applied.certificate.status, policies: applied.policies }, 'certificate provisioned just in time');
      return applied.certificate;
    } catch (error) {
      if (error instanceof GatehouseError && error.code !== 'STORE_UNAVAILABLE') return refuse(error.message);
      throw error;
    }
  };
}

/**
 * The one registered CA that may provision this certificate, or undefined. A CA certificate
 * registered by several tenants, all with auto-registration, is ambiguous and provisions nothing.
 */
async function findIssuer(identity: IdentityStore, leaf: X509Certificate, now: number, refuse: (reason: string) => void): Promise<CaRecord | undefined> {
  const candidates = (await identity.findCasBySubject(distinguishedNameText(leaf.issuer)))
    .filter((ca) => ca.status === 'ACTIVE' && ca.autoRegistration && ca.provisioningTemplate !== undefined && ca.notAfter > now)
    .filter((ca) => signedBy(leaf, ca.certificatePem));
  if (candidates.length > 1) {
    refuse(`CA ${candidates[0]!.id.slice(0, 12)} is registered with auto-registration by ${candidates.length} tenants (${candidates.map((ca) => `"${ca.tenant}"`).join(', ')})`);
    return undefined;
  }
  return candidates[0];
}

function signedBy(leaf: X509Certificate, caPem: string): boolean {
  try {
    const ca = new X509Certificate(caPem);
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  } catch {
    return false;
  }
}
