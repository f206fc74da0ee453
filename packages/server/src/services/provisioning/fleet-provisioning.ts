/**
 * Fleet provisioning by claim over MQTT (AWS's CreateKeysAndCertificate, CreateCertificateFromCsr and
 * RegisterThing): an internal client of the broker that answers each request on the connection that
 * asked, and sweeps away the certificates nobody claimed.
 *
 * Who may call it: any connection authenticated with an ACTIVE certificate (the claim certificate).
 * AWS narrows that with the claim certificate's IoT policy (Publish/Receive on `$aws/certificates/create/*`
 * and `$aws/provisioning-templates/{template}/provision/*`); until the policy engine lands, every
 * certificate of a tenant may call these topics and may publish on their `/accepted` and `/rejected`
 * subtopics too. Tenants stay apart all the same: certificates and things are made in the caller's
 * tenant, and a token answers only to a connection of the tenant it was minted for.
 */
import type { TokenSigningKey } from '../../auth/index.js';
import type { BrokerPort, InternalMessage, MessageOrigin } from '../../broker/index.js';
import { GatehouseError, type Logger } from '../../core/index.js';
import { createDeviceKey, gatehouseCaRecord, PkiError, signDeviceCertificate, verifyCsr, type CertificateAuthority, type ParsedCsr } from '../../pki/index.js';
import type { CertificateRecord, IdentityStore } from '../../store/index.js';
import { applyProvisioningPlan } from './apply-plan.js';
import {
  parseCreateFromCsrRequest, parseCreateKeysRequest, parseRegisterThingRequest,
  type CreateCertificateFromCsrResponse, type CreateKeysAndCertificateResponse, type RegisterThingResponse,
} from './fleet-requests.js';
import { mintOwnershipToken, verifyOwnershipToken } from './ownership-token.js';
import { callPreProvisioningHook, HOOK_TIMEOUT_MS, templateArn } from './pre-provisioning-hook.js';
import { encodeRejection, ProvisioningRejection } from './provisioning-rejection.js';
import { evaluateTemplate } from './template.js';
import { answerTopic, FLEET_PROVISIONING_FILTERS, parseProvisioningTopic, type ProvisioningRequestTopic } from './topics.js';
import { deleteUnclaimedCertificates } from './unclaimed-certificates.js';

export interface FleetProvisioningOptions {
  readonly broker: BrokerPort;
  readonly identity: IdentityStore;
  /** Signs certificate ownership tokens (the registration tokens' key, under another `typ` and audience). */
  readonly signingKey: TokenSigningKey;
  /** Signs the new certificates. Without it every request is rejected with ServiceUnavailable. */
  readonly ca?: CertificateAuthority;
  /** Validity of the certificates made here. */
  readonly certificateDays: number;
  readonly logger: Logger;
  /** Default 5000 ms, as AWS gives a pre-provisioning Lambda. */
  readonly hookTimeoutMs?: number;
  /** How often unclaimed certificates are looked for; default 5 minutes. */
  readonly sweepIntervalMs?: number;
  /** Requests of one client worked on at once; more are rejected with Throttling. Default 4. */
  readonly maxRequestsPerClient?: number;
  /** For tests; default `new Date()`. */
  readonly now?: () => Date;
}

export interface FleetProvisioning {
  /** Deletes the unclaimed certificates whose ownership token has expired; resolves with their ids. */
  sweep(): Promise<string[]>;
  /** Stops listening and sweeping, and waits for the requests under way. */
  stop(): Promise<void>;
}

/** The subject of every certificate made here; AWS's say `CN=AWS IoT Certificate`. The thing comes later. */
const certificateCommonName = 'Gatehouse IoT Certificate';
const defaultSweepIntervalMs = 5 * 60 * 1000;

/**
 * Subscribes to the fleet provisioning topics, sweeps once now and then on a timer.
 *
 * @example
 * const fleet = startFleetProvisioning({ broker: broker.port, identity, signingKey, ca, certificateDays: 365, logger });
 * await fleet.stop();
 */
export function startFleetProvisioning(options: FleetProvisioningOptions): FleetProvisioning {
  return new FleetProvisioningService(options);
}

class FleetProvisioningService implements FleetProvisioning {
  readonly #options: FleetProvisioningOptions;
  readonly #logger: Logger;
  readonly #unsubscribe: Array<() => void>;
  readonly #underWay = new Set<Promise<void>>();
  readonly #perClient = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  #sweeping: Promise<string[]> | undefined;
  #stopped = false;

  constructor(options: FleetProvisioningOptions) {
    this.#options = options;
    this.#logger = options.logger;
    const onMessage = (message: InternalMessage, origin: MessageOrigin | undefined): void => this.#onRequest(message, origin);
    this.#unsubscribe = FLEET_PROVISIONING_FILTERS.map((filter) => options.broker.subscribe(filter, onMessage));
    this.#timer = setInterval(() => void this.sweep(), options.sweepIntervalMs ?? defaultSweepIntervalMs);
    this.#timer.unref();
    void this.sweep();
  }

  sweep(): Promise<string[]> {
    const ca = this.#options.ca;
    if (ca === undefined || this.#stopped) return Promise.resolve([]);
    this.#sweeping ??= deleteUnclaimedCertificates(this.#options.identity, { ca: { id: ca.id, subject: ca.certificate.subject }, now: this.#now().getTime() })
      .then((deleted) => {
        if (deleted.length > 0) this.#logger.info({ certificates: deleted.length }, 'Deleted unclaimed fleet provisioning certificates');
        return deleted;
      }, (error: unknown) => {
        this.#logger.warn({ err: error }, 'Cannot delete unclaimed fleet provisioning certificates');
        return [];
      })
      .finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    await Promise.allSettled([...this.#underWay, this.#sweeping]);
  }

  /** Runs synchronously inside the broker's publish: it only starts the work. */
  #onRequest(message: InternalMessage, origin: MessageOrigin | undefined): void {
    const request = parseProvisioningTopic(message.topic);
    // Messages services publish have no origin; they are not requests.
    if (request === undefined || origin === undefined || this.#stopped) return;
    // Answers and the per-connection limit go by session key: two tenants' clients may share an id.
    const clientId = origin.sessionKey;
    const running = this.#perClient.get(clientId) ?? 0;
    if (running >= (this.#options.maxRequestsPerClient ?? 4)) {
      this.#reject(clientId, request, new ProvisioningRejection('Throttling', `Cannot take the request: ${running} requests of this connection are under way`));
      return;
    }
    this.#perClient.set(clientId, running + 1);
    const work = this.#handle(request, message.payload, origin)
      .then((answer) => this.#answer(clientId, request, 'accepted', Buffer.from(JSON.stringify(answer))))
      .catch((error: unknown) => this.#reject(clientId, request, this.#toRejection(error, request, origin)))
      .finally(() => {
        const left = (this.#perClient.get(clientId) ?? 1) - 1;
        if (left === 0) this.#perClient.delete(clientId);
        else this.#perClient.set(clientId, left);
        this.#underWay.delete(work);
      });
    this.#underWay.add(work);
  }

  async #handle(request: ProvisioningRequestTopic, payload: Buffer, origin: MessageOrigin): Promise<object> {
    if (request.format === 'cbor') {
      throw new ProvisioningRejection('InvalidPayload', `CBOR payloads are not supported: publish the request as JSON on ${request.topic.slice(0, -'cbor'.length)}json`);
    }
    const principal = origin.principal;
    if (principal?.kind !== 'certificate' || principal.certificateId === undefined) {
      throw new ProvisioningRejection('AccessDenied', 'Fleet provisioning needs a connection authenticated with a claim certificate');
    }
    const caller: Caller = { clientId: origin.clientId, tenant: principal.tenant, certificateId: principal.certificateId };
    switch (request.kind) {
      case 'create-keys-and-certificate':
        return this.#createKeysAndCertificate(payload, caller);
      case 'create-certificate-from-csr':
        return this.#createCertificateFromCsr(payload, caller);
      case 'register-thing':
        return this.#registerThing(request.templateName, payload, caller);
      default:
        return request satisfies never;
    }
  }

  async #createKeysAndCertificate(payload: Buffer, caller: Caller): Promise<CreateKeysAndCertificateResponse> {
    parseCreateKeysRequest(payload);
    const ca = this.#requireCa();
    const key = await createDeviceKey();
    const issued = await this.#issue(ca, key.csr, caller);
    return { certificateId: issued.certificateId, certificatePem: issued.certificatePem, privateKey: key.privateKeyPem, certificateOwnershipToken: issued.certificateOwnershipToken };
  }

  async #createCertificateFromCsr(payload: Buffer, caller: Caller): Promise<CreateCertificateFromCsrResponse> {
    const { certificateSigningRequest } = parseCreateFromCsrRequest(payload);
    const ca = this.#requireCa();
    let csr: ParsedCsr;
    try {
      csr = await verifyCsr(certificateSigningRequest);
    } catch (error) {
      if (error instanceof PkiError) throw new ProvisioningRejection('InvalidRequest', `Cannot create a certificate from the CSR: ${error.message}`);
      throw error;
    }
    return this.#issue(ca, csr, caller);
  }

  /** Signs and registers a PENDING_ACTIVATION certificate of the caller's tenant, and mints its token. */
  async #issue(ca: CertificateAuthority, csr: ParsedCsr, caller: Caller): Promise<CreateCertificateFromCsrResponse> {
    const now = this.#now();
    const signed = await signDeviceCertificate({ ca, csr, commonName: certificateCommonName, days: this.#options.certificateDays, now });
    const at = now.getTime();
    const record: CertificateRecord = {
      id: signed.id,
      tenant: caller.tenant,
      status: 'PENDING_ACTIVATION',
      certificatePem: signed.certificatePem,
      caId: ca.id,
      serialNumber: signed.serialNumber,
      subject: `CN=${certificateCommonName}`,
      notBefore: signed.notBefore.getTime(),
      notAfter: signed.notAfter.getTime(),
      issuedBy: 'fleet-provisioning',
      createdAt: at,
      updatedAt: at,
    };
    await this.#options.identity.transaction(async (tx) => {
      // The certificate authenticator wants the issuing CA registered with the certificate's tenant,
      // and the sweep finds tenants by it.
      if ((await tx.getCa(caller.tenant, ca.id)) === undefined) await tx.putCa(gatehouseCaRecord(ca, caller.tenant, at));
      await tx.putCertificate(record);
    });
    const certificateOwnershipToken = await mintOwnershipToken(this.#options.signingKey, { certificateId: signed.id, tenant: caller.tenant, now });
    this.#logger.info({ clientId: caller.clientId, tenant: caller.tenant, claimCertificateId: caller.certificateId, certificateId: signed.id }, 'Fleet provisioning created a certificate');
    return { certificateId: signed.id, certificatePem: signed.certificatePem, certificateOwnershipToken };
  }

  async #registerThing(templateName: string, payload: Buffer, caller: Caller): Promise<RegisterThingResponse> {
    const request = parseRegisterThingRequest(payload);
    const { identity, signingKey } = this.#options;
    const now = this.#now();
    const claims = await verifyOwnershipToken(request.certificateOwnershipToken, { verificationKeys: [signingKey.publicJwk], tenant: caller.tenant, now });
    const certificate = await identity.getCertificate(claims.certificateId);
    if (certificate === undefined || certificate.tenant !== caller.tenant) {
      throw new ProvisioningRejection('InvalidCertificateOwnershipToken', 'Certificate ownership token is not valid: its certificate no longer exists; create a new one');
    }
    const template = await identity.getTemplate(caller.tenant, templateName);
    if (template === undefined) throw new ProvisioningRejection('ResourceNotFound', `Cannot provision with template "${templateName}": there is no such template`);
    if (!template.enabled) throw new ProvisioningRejection('InvalidRequest', `Cannot provision with template "${templateName}": it is disabled`);

    let parameters = request.parameters;
    const hook = template.preProvisioningHook;
    if (hook !== undefined) {
      const verdict = await callPreProvisioningHook(hook.url, {
        claimCertificateId: caller.certificateId,
        certificateId: certificate.id,
        certificatePem: certificate.certificatePem,
        templateArn: templateArn(caller.tenant, templateName),
        clientId: caller.clientId,
        parameters,
      }, { timeoutMs: this.#options.hookTimeoutMs ?? HOOK_TIMEOUT_MS });
      if (!verdict.allowed) {
        this.#logger.info({ clientId: caller.clientId, tenant: caller.tenant, template: templateName, certificateId: certificate.id, reason: verdict.reason }, 'Pre-provisioning hook denied provisioning');
        throw new ProvisioningRejection('AccessDenied', `Cannot provision with template "${templateName}": the pre-provisioning hook did not allow it`);
      }
      parameters = { ...parameters, ...verdict.parameterOverrides };
    }

    const plan = evaluateTemplate(template.body, parameters, { certificateId: certificate.id });
    const applied = await identity.transaction((tx) => applyProvisioningPlan(tx, plan, { tenant: caller.tenant, certificate, now: now.getTime() }));
    this.#logger.info({ clientId: caller.clientId, tenant: caller.tenant, template: templateName, certificateId: certificate.id, thing: applied.thing?.name, status: applied.certificate.status }, 'Fleet provisioning registered a thing');
    return { deviceConfiguration: plan.deviceConfiguration, ...(applied.thing === undefined ? {} : { thingName: applied.thing.name }) };
  }

  #requireCa(): CertificateAuthority {
    const ca = this.#options.ca;
    if (ca === undefined) {
      throw new ProvisioningRejection('ServiceUnavailable', 'Cannot create a certificate: this server has no local CA to sign with (its TLS files come from elsewhere)');
    }
    return ca;
  }

  /** The one place failures become `/rejected` answers; unexpected ones are logged, not sent. */
  #toRejection(error: unknown, request: ProvisioningRequestTopic, origin: MessageOrigin): ProvisioningRejection {
    if (error instanceof ProvisioningRejection) return error;
    if (error instanceof GatehouseError) {
      switch (error.code) {
        case 'TEMPLATE_INVALID':
        case 'PROVISIONING_FAILED':
        case 'CONFLICT':
          return new ProvisioningRejection('ResourceRegistrationFailure', error.message);
        case 'STORE_UNAVAILABLE':
        case 'NOT_READY':
          return new ProvisioningRejection('ServiceUnavailable', 'Cannot complete the request: the registry is unavailable; try again later');
        default:
          break;
      }
    }
    this.#logger.error({ err: error, clientId: origin.clientId, topic: request.topic }, 'Fleet provisioning request failed');
    return new ProvisioningRejection('InternalFailure', 'Cannot complete the request: internal error');
  }

  #reject(clientId: string, request: ProvisioningRequestTopic, rejection: ProvisioningRejection): void {
    this.#logger.debug({ clientId, topic: request.topic, errorCode: rejection.errorCode, reason: rejection.message }, 'Fleet provisioning request rejected');
    this.#answer(clientId, request, 'rejected', encodeRejection(rejection, request.format));
  }

  /** AWS answers only on the connection that asked, and only if it subscribed to the answer topic first. */
  #answer(clientId: string, request: ProvisioningRequestTopic, outcome: 'accepted' | 'rejected', payload: Buffer): void {
    const topic = answerTopic(request, outcome);
    if (!this.#options.broker.publishTo(clientId, { topic, payload, qos: 1, retain: false })) {
      this.#logger.debug({ clientId, topic }, 'Fleet provisioning answer not delivered: the client is gone or did not subscribe');
    }
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}

/** The connection a request came from: its claim certificate and tenant. */
interface Caller {
  readonly clientId: string;
  readonly tenant: string;
  readonly certificateId: string;
}
