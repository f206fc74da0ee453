/**
 * SigV4 authentication for MQTT over WebSocket: a connect hook that admits a connection whose upgrade
 * URL was presigned with temporary credentials from the credentials endpoint, as AWS IoT does.
 */
import type { Logger } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';
import type { IdentityStore } from '../store/index.js';
import { AuthError } from './auth-error.js';
import { checkValidity } from './certificate-authenticator.js';
import { deferDecision, denyDecision, type ConnectDecision, type CredentialConnectEvent } from './connect-decision.js';
import { verifyPresignedUrl } from './sigv4.js';
import { resolveTemporaryCredentials, type ResolvedCredentials } from './temporary-credentials.js';

export interface SigV4AuthenticatorOptions {
  readonly identity: IdentityStore;
  readonly logger: Logger;
  /** The credentials secret; list the old one after the new one while rotating. Never log them. */
  readonly secrets: readonly Buffer[];
  /** Regions accepted in the credential scope; any when absent (SDKs derive it from the host name). */
  readonly regions?: readonly string[];
  /** Epoch ms; for tests. */
  readonly now?: () => number;
}

/**
 * Makes the connect hook. A connection whose upgrade URL has no `X-Amz-Signature` (or that is not a
 * WebSocket) is deferred to the next method. Otherwise the URL must verify (service
 * `iotdevicegateway`, signed with the secret behind the access key, session token appended unsigned,
 * X-Amz-Date within 15 minutes), the temporary credentials must not have expired, and the certificate
 * they were traded for must still be registered, ACTIVE and within its validity. The principal carries
 * that certificate's id, so revoking the certificate closes SigV4 connections too.
 *
 * @example
 * const sigv4 = createSigV4Authenticator({ identity, logger, secrets: [credentialsSecret] });
 * const hooks = createConnectAuth({ config, identity, logger, methods: [sigv4] });
 */
export function createSigV4Authenticator(options: SigV4AuthenticatorOptions): (event: CredentialConnectEvent) => Promise<ConnectDecision> {
  const now = options.now ?? Date.now;
  return async (event) => {
    const request = event.peer.request;
    if (request === undefined) return deferDecision;
    const { path, query } = splitUrl(request.url);
    if (!/(?:^|&)X-Amz-Signature=/.test(query)) return deferDecision;

    const at = now();
    let resolved: ResolvedCredentials;
    try {
      resolved = verifyPresignedUrl<ResolvedCredentials>({
        method: 'GET',
        host: headerText(request.headers['host']),
        path,
        query,
        headers: request.headers,
        now: new Date(at),
        resolveSecret: (accessKeyId, sessionToken) => {
          const credentials = resolveTemporaryCredentials(accessKeyId, sessionToken, { secrets: options.secrets });
          return credentials === undefined ? undefined : { secretAccessKey: credentials.secretAccessKey, principal: credentials, expiresAt: credentials.expiresAt };
        },
        ...(options.regions === undefined ? {} : { regions: options.regions }),
      }).principal;
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      return refuse(options, event, `Cannot authenticate with SigV4: ${describe(error)}`);
    }

    const { tenant, thing, certificateId } = resolved.principal;
    let certificateNotAfter: number;
    try {
      const record = await options.identity.getCertificate(certificateId);
      const problem = record === undefined
        ? 'is no longer registered'
        : record.tenant !== tenant ? 'belongs to another tenant'
          : record.status !== 'ACTIVE' ? `is ${record.status}`
            : checkValidity(record, at) === undefined ? undefined : 'is outside its validity';
      if (record === undefined || problem !== undefined) {
        return refuse(options, event, `Cannot authenticate with SigV4: the certificate ${certificateId.slice(0, 12)} the credentials were issued for ${problem ?? 'is no longer registered'}`);
      }
      certificateNotAfter = record.notAfter;
    } catch (error) {
      options.logger.warn({ clientId: event.clientId, certificateId, err: error instanceof Error ? error.message : String(error) }, 'cannot check the certificate behind SigV4 credentials');
      return denyDecision(ReasonCode.ServerUnavailable, 'Cannot authenticate with SigV4 now: the identity store is unavailable');
    }

    return {
      kind: 'allow',
      principal: {
        kind: 'sigv4',
        tenant,
        ...(thing === '' ? {} : { thingName: thing }),
        certificateId,
        certificateNotAfter,
        clientId: event.clientId,
        sourceIp: event.peer.remoteAddress,
        attributes: { roleAlias: resolved.roleAlias },
      },
    };
  };
}

function refuse(options: SigV4AuthenticatorOptions, event: CredentialConnectEvent, reason: string): ConnectDecision {
  options.logger.info({ clientId: event.clientId, peer: event.peer.remoteAddress, reason }, 'SigV4 WebSocket refused');
  return denyDecision(ReasonCode.NotAuthorized, reason);
}

/** The verifier's message plus what the agent should do about it. */
function describe(error: AuthError): string {
  switch (error.reason) {
    case 'credentials-expired':
      return 'the temporary credentials have expired; fetch new ones from the credentials endpoint';
    case 'unknown-access-key':
      return 'the access key is unknown or its session token is invalid (not issued by this Gatehouse, damaged, or for another access key)';
    case 'bad-signature':
      return 'the signature does not match (wrong secret access key, or the URL or Host header changed after signing)';
    default:
      return String(error.params['reason'] ?? error.message);
  }
}

function splitUrl(url: string): { path: string; query: string } {
  const mark = url.indexOf('?');
  return mark === -1 ? { path: url, query: '' } : { path: url.slice(0, mark), query: url.slice(mark + 1) };
}

function headerText(value: string | string[] | undefined): string {
  return typeof value === 'string' ? value : (value?.[0] ?? '');
}
