/**
 * The connect hook chain: every way a client may prove who it is, in a fixed order, ending in the
 * listener's anonymous rule. Each method defers when the connection does not carry its credential,
 * so the first method whose credential is present decides, and a wrong credential is refused rather
 * than falling through to anonymous.
 */
import { createCertificateAuthenticator } from '../auth/index.js';
import { allowAs, deny, type ConnectEvent, type HookResult } from '../broker/index.js';
import type { Logger } from '../core/index.js';
import { ReasonCode } from '../mqtt/index.js';
import type { CertificateRecord, IdentityStore } from '../store/index.js';
import type { GatehouseConfig, ListenerName } from './config.js';

export type ConnectHook = (event: ConnectEvent) => HookResult | Promise<HookResult>;

export interface ConnectAuthOptions {
  readonly config: GatehouseConfig;
  readonly identity: IdentityStore;
  readonly logger: Logger;
  /** Just-in-time provisioning of certificates signed by a registered CA with auto-registration. */
  readonly provisionUnknown?: (der: Buffer, id: string) => Promise<CertificateRecord | undefined>;
  /** Methods that run after the client certificate and before the anonymous rule (SigV4, tokens, passwords). */
  readonly methods?: readonly ConnectHook[];
}

/**
 * Builds the hooks in order: client certificate, the other methods, then anonymous.
 *
 * @example
 * const hooks = createConnectAuth({ config, identity, logger, methods: [sigv4, tokens, passwords] });
 * const broker = new Broker({ store, logger, hooks: { connect: hooks } });
 */
export function createConnectAuth(options: ConnectAuthOptions): ConnectHook[] {
  const certificate = createCertificateAuthenticator({
    identity: options.identity,
    logger: options.logger.child({ component: 'auth' }),
    ...(options.provisionUnknown === undefined ? {} : { provisionUnknown: options.provisionUnknown }),
  });
  return [certificate, ...(options.methods ?? []), anonymousRule(options.config)];
}

/** Admits a credential-less client as the default tenant's anonymous principal where the listener allows it. */
function anonymousRule(config: GatehouseConfig): ConnectHook {
  return (event) => {
    const name = event.peer.listener as ListenerName;
    const listener = config.listeners[name];
    const allowed = config.features.allowAnonymous && listener !== undefined && 'allowAnonymous' in listener && listener.allowAnonymous;
    if (!allowed) {
      return deny(`Connection refused: listener ${event.peer.listener} needs credentials (a registered client certificate, SigV4-signed URL, token or password) and none was offered`, ReasonCode.NotAuthorized);
    }
    return allowAs({ kind: 'anonymous', tenant: config.identity.defaultTenant, clientId: event.clientId, sourceIp: event.peer.remoteAddress, attributes: {} });
  };
}
