/**
 * The composition root: builds the store, the broker, the listeners and the admin API from the
 * configuration, and takes them down again in the right order.
 */
import type { FastifyInstance } from 'fastify';
import { createAdminApi, createAgentApi, gatehouseCaRecord, type AgentApi, type AgentEndpoints, type IdentityServices } from '../api/index.js';
import { Broker, type BrokerHooks, type Drain } from '../broker/index.js';
import { createSigV4Authenticator, startCertificateRecheck } from '../auth/index.js';
import { createLogger, type Logger } from '../core/index.js';
import { loadSigningCa, readKeySecret } from '../pki/index.js';
import type { BrokerStore, IdentityStoreBackend } from '../store/index.js';
import { listenAgentPort, listenServer, listenTcp, listenTls, listenWebSocket, ProxyHeaderError, stopListening, type ListenAddress, type ListenerHandle, type ProxyProtocolPolicy } from '../transport/index.js';
import { createJitpProvisioner, createPolicyAuthorizer, RegistryEvents, startFleetProvisioning, startPresenceService, startShadowService } from '../services/index.js';
import { renderBanner } from './banner.js';
import { createConnectAuth } from './connect-auth.js';
import { createCredentialMethods } from './credential-methods.js';
import type { GatehouseConfig, ListenerName } from './config.js';
import { createConnectivityStore, createIdentityStore, createShadowStore, createStore } from './create-store.js';
import { dialableHost, endpointUrl, removeEndpoints, writeEndpoints, type Endpoints } from './endpoints.js';
import { prepareHome, readTlsFiles, type FirstRun, type TlsFiles } from './first-run.js';
import { listenWithFallback, type PortFallback } from './listen-with-fallback.js';
import { readNodeId } from './node-id.js';
import { version } from './version.js';

export interface StartOptions {
  /** Listeners whose port was set explicitly (from loadConfig); a taken default port falls back to port 0. */
  readonly explicitPorts?: ReadonlySet<ListenerName>;
  /** Default: a pino logger at `config.log.level` on stdout. */
  readonly logger?: Logger;
  /** Broker hooks (authentication, authorization, enhanced auth) from embedding code and later modules. */
  readonly hooks?: BrokerHooks;
  /** Where the start banner goes; default stdout; false for none. */
  readonly banner?: NodeJS.WritableStream | false;
}

export interface RunningGatehouse {
  readonly broker: Broker;
  /** Registered CAs, device certificates, registration tokens. */
  readonly identity: IdentityStoreBackend;
  readonly config: GatehouseConfig;
  readonly endpoints: Endpoints;
  /** Actual addresses of the enabled listeners. */
  readonly addresses: Partial<Record<ListenerName, ListenAddress>>;
  readonly fallbacks: readonly PortFallback[];
  readonly firstRun: FirstRun;
  /** Ready when the store is healthy and the broker accepts connections, and not while draining. */
  health(): { ready: boolean; reasons: string[] };
  /**
   * The graceful end (SIGTERM): stops accepting on the MQTT listeners, turns `/readyz` unready,
   * disconnects clients at `drain.ratePerSecond` (MQTT 5 ones sent to `drain.serverReference`), then
   * closes. `hurry()` or `drain.timeoutMs` disconnects the rest at once. Calling it again returns the same drain.
   */
  drain(): Drain;
  /** Stops accepting, disconnects every client, flushes and closes the store. Safe to call twice. */
  close(): Promise<void>;
}

/** Something started that must be stopped, in reverse order, on close or on a failed start. */
type Stopper = () => Promise<void>;

/**
 * Starts Gatehouse as the configuration says.
 *
 * @example
 * const { config, explicitPorts } = await loadConfig({ flags: { home: '/var/lib/gatehouse' } });
 * const gatehouse = await startGatehouse(config, { explicitPorts });
 * process.once('SIGTERM', () => void gatehouse.close());
 */
export async function startGatehouse(config: GatehouseConfig, options: StartOptions = {}): Promise<RunningGatehouse> {
  const logger = options.logger ?? createLogger({ level: config.log.level });
  const stoppers: Stopper[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stoppers.reverse().splice(0)) {
      await stop().catch((error: unknown) => logger.error({ err: error }, 'Error while stopping'));
    }
  };

  try {
    const keySecret = await readKeySecret({ file: config.pki.keySecretFile, envVar: 'GATEHOUSE_CA_KEY_SECRET' });
    const firstRun = await prepareHome(config, { keySecret });
    const tlsNeeded = (config.listeners.mqtts.enabled || config.listeners.wss.enabled) as boolean;
    const tls = tlsNeeded ? await readTlsFiles(config) : undefined;

    const store = await createStore(config.store);
    await store.open();
    stoppers.push(() => store.close());
    const identity = await createIdentityStore(config.store);
    await identity.open();
    stoppers.push(() => identity.close());
    const shadowStore = await createShadowStore(config.store);
    await shadowStore.open();
    stoppers.push(() => shadowStore.close());
    // The default tenant has a record like any other: it lists, and its policy routes find it.
    if ((await identity.getTenant(config.identity.defaultTenant)) === undefined) {
      const at = Date.now();
      // A node starting at the same moment may create it first; its CONFLICT is the same outcome.
      await identity.createTenant({ id: config.identity.defaultTenant, status: 'ACTIVE', createdAt: at, updatedAt: at })
        .catch((error: unknown) => { if ((error as { code?: unknown }).code !== 'CONFLICT') throw error; });
    }
    const connectivity = await createConnectivityStore(config.store);
    await connectivity.open();
    stoppers.push(() => connectivity.close());
    const nodeId = await readNodeId(config.home);
    // Before the broker accepts anyone: rows this node left connected belong to connections a crash ended.
    const stale = await connectivity.markNodeDisconnected(nodeId, { at: Date.now(), reason: 'SERVER_ERROR' });
    if (stale > 0) logger.info({ things: stale, nodeId }, 'Things left connected by the last run are marked disconnected');
    // The local CA (or its intermediate) signs agents' certificates; with TLS files from elsewhere there is none to sign with.
    const cas = firstRun.pki === undefined ? undefined : await loadSigningCa({ dir: firstRun.pki.dir, keySecret, intermediate: config.pki.intermediate });
    const ca = cas?.signing;
    // Root and intermediate both: devices signed by either connect, whichever signs now.
    for (const own of cas?.all ?? []) {
      if ((await identity.getCa(config.identity.defaultTenant, own.id)) === undefined) await identity.putCa(gatehouseCaRecord(own, config.identity.defaultTenant, Date.now()));
    }

    const sigv4 = createSigV4Authenticator({ identity, logger: logger.child({ component: 'auth' }), secrets: [firstRun.credentialsSecret] });
    // Tokens and passwords come after SigV4: each defers unless its own credential is present.
    const credentialMethods = await createCredentialMethods(config, logger);
    const connect = createConnectAuth({ config, identity, logger, methods: [sigv4, ...credentialMethods], provisionUnknown: createJitpProvisioner({ identity, logger }) });
    // IoT policies bind every certificate, SigV4, token and password connection once it has
    // authenticated, and follow the policy change feed; anonymous (loopback development) and service
    // principals are unrestricted. An embedder's own authorize hook replaces it.
    const policies = createPolicyAuthorizer({ identity, logger: logger.child({ component: 'authorization' }), unattached: config.auth.unattachedPolicy, anonymous: config.auth.anonymousPolicies,
      // iot:Connect is refused in the hook; the broker counts the rest itself.
      countDenial: (action) => {
        const denials = broker.admin.counters.authorizationDenials;
        denials[action] = (denials[action] ?? 0) + 1;
      },
      // Policies attached to a thing group reach the things of its subgroups (read at each CONNECT).
      parentGroup: async (tenant, group) => (await identity.getThingGroup(tenant, group))?.parent,
    });
    stoppers.push(async () => policies.stop());
    const hooks: BrokerHooks = { ...options.hooks, connect: [...(options.hooks?.connect ?? []), ...connect], authorize: options.hooks?.authorize ?? policies.authorize };
    const broker = new Broker({
      store,
      logger: logger.child({ component: 'broker' }),
      limits: config.limits,
      features: config.features,
      ...(config.mqtt.serverKeepAlive === undefined ? {} : { serverKeepAlive: config.mqtt.serverKeepAlive }),
      hooks,
      defaultTenant: config.identity.defaultTenant,
    });
    await broker.start();
    const recheck = startCertificateRecheck({ identity, connections: broker.admin, logger: logger.child({ component: 'auth' }), intervalMs: config.auth.certificateRecheckMs });
    stoppers.push(async () => recheck.stop());
    // Started once the broker is, stopped before the identity store closes (stoppers run in reverse).
    const fleetProvisioning = startFleetProvisioning({
      broker: broker.port, identity, signingKey: firstRun.tokenSigningKey, ...(ca === undefined ? {} : { ca }),
      certificateDays: config.identity.certificateDays, logger: logger.child({ component: 'fleet-provisioning' }),
    });
    stoppers.push(() => fleetProvisioning.stop());
    // Stopped before the shadow store closes, after the broker and the APIs (stoppers run in reverse).
    const shadows = startShadowService({
      broker: broker.port, shadows: shadowStore, identity, logger: logger.child({ component: 'shadow' }),
      limits: { maxDocumentBytes: config.shadows.maxDocumentBytes, maxDepth: config.shadows.maxDepth },
      requireThing: config.shadows.requireThing, maxInFlightPerClient: config.shadows.maxInFlightPerClient,
    });
    stoppers.push(() => shadows.stop());
    // Stopped after the broker has closed (stoppers run in reverse), so the shutdown's disconnects are recorded.
    const presence = startPresenceService({
      broker: broker.port, logger: logger.child({ component: 'presence' }), publishEvents: config.events.presence,
      connectivity: { store: connectivity, things: identity, nodeId },
    });
    stoppers.push(() => presence.stop());
    let closing = false;
    let listening = false;
    const handles: ListenerHandle[] = [];
    // Stoppers run in reverse: listeners stop accepting, the broker says goodbye to its clients,
    // then connections that have not ended within a second are destroyed, then the store closes.
    stoppers.push(async () => {
      await Promise.all(handles.map((h) => h.destroyConnections(1000)));
    });
    stoppers.push(() => broker.close({ reason: 'Server shutting down' }));

    const fallbacks: PortFallback[] = [];
    const addresses: Partial<Record<ListenerName, ListenAddress>> = {};
    const listen = async (name: ListenerName, start: (port: number) => Promise<ListenerHandle>): Promise<void> => {
      const listener = config.listeners[name];
      if (!listener.enabled) return;
      const { handle, fallback } = await listenWithFallback({ name, host: listener.host, port: listener.port, explicit: options.explicitPorts?.has(name) ?? false, listen: start });
      handles.push(handle);
      stoppers.push(() => handle.close());
      addresses[name] = handle.address;
      if (fallback !== undefined) {
        fallbacks.push(fallback);
        logger.warn({ listener: name, wanted: fallback.wanted, port: fallback.actual.port }, fallback.message);
      }
    };

    const onConnection = (stream: import('node:stream').Duplex, peer: import('../core/index.js').PeerInfo): void => broker.accept(stream, peer);
    const onError = (error: Error, context: string): void => {
      // A refused PROXY protocol header is a misconfigured balancer or someone forging addresses: worth a line.
      if (error instanceof ProxyHeaderError) logger.info({ context }, error.message);
      else logger.debug({ context, error: error.message }, 'Transport error');
    };
    const proxyProtocol = (name: 'mqtt' | 'mqtts' | 'ws' | 'wss'): { proxyProtocol?: ProxyProtocolPolicy } => {
      const settings = config.listeners[name].proxyProtocol;
      if (!settings.enabled) return {};
      return { proxyProtocol: { trustedSources: settings.trustedSources, required: settings.required, timeoutMs: settings.headerTimeoutMs } };
    };
    const tlsOptions = (requestCert: boolean): { tls: TlsFiles & { requestCert: boolean } } => ({ tls: { ...(tls as TlsFiles), requestCert } });
    const { mqtt, mqtts, ws, wss } = config.listeners;
    // Filled in once the listeners are up; the identity routes read it per request.
    let agentEndpoints: AgentEndpoints = {};
    const identityServices: IdentityServices = {
      store: identity,
      signingKey: firstRun.tokenSigningKey,
      ...(cas === undefined ? {} : { ca: cas.signing, rootCa: cas.root, ownCas: cas.all }),
      defaultTenant: config.identity.defaultTenant,
      tokenTtlSeconds: config.identity.tokenTtlSeconds,
      certificateDays: config.identity.certificateDays,
      endpoints: () => agentEndpoints,
      credentialsSecret: firstRun.credentialsSecret,
      // Registry changes made through the admin API publish the events each tenant enabled.
      registryEvents: new RegistryEvents({ broker: broker.port, configurations: identity, logger: logger.child({ component: 'registry' }) }),
    };
    let draining = false;
    const health = (): { ready: boolean; reasons: string[] } => {
      const reasons: string[] = [];
      if (closing) reasons.push('shutting down');
      else if (draining) reasons.push('draining');
      else if (!listening) reasons.push('starting');
      if (!broker.storeHealthy) reasons.push('the store is not healthy');
      if (!broker.ready && !draining && !closing) reasons.push('the broker is not accepting connections');
      return { ready: reasons.length === 0, reasons };
    };
    const agentApi: AgentApi | undefined = wss.enabled ? await createAgentApi({ identity: identityServices, logger, shadows, policyResolver: policies.resolver, health }) : undefined;
    if (agentApi !== undefined) stoppers.push(() => agentApi.app.close());
    await listen('mqtt', (port) => listenTcp({ name: 'mqtt', host: mqtt.host, port, onConnection, onError, ...proxyProtocol('mqtt') }));
    await listen('mqtts', (port) => listenTls({ name: 'mqtts', host: mqtts.host, port, onConnection, onError, ...tlsOptions(mqtts.requestClientCert), ...proxyProtocol('mqtts') }));
    const maxPacketSize = config.limits.maxPacketSize;
    await listen('ws', (port) => listenWebSocket({ name: 'ws', host: ws.host, port, path: ws.path, maxPacketSize, onConnection, onError, ...proxyProtocol('ws') }));
    // `wss` is the single agent port: raw MQTT by ALPN or first byte, WSS on its path, the agent API on the rest.
    await listen('wss', (port) => listenAgentPort({ name: 'wss', host: wss.host, port, path: wss.path, maxPacketSize, onConnection, onError, ...tlsOptions(wss.requestClientCert), ...proxyProtocol('wss'), ...(agentApi === undefined ? {} : { onRequest: agentApi.handle }) }));

    if (config.listeners.admin.enabled) {
      const api: FastifyInstance = await createAdminApi({ admin: broker.admin, adminKey: firstRun.adminKey, logger, health, version, identity: identityServices, policyResolver: policies.resolver, connectivity, shadows });
      stoppers.push(() => api.close());
      await api.ready();
      // Listening Fastify's own server through the transport helper gives the admin port the same
      // PORT_IN_USE error and default-port fallback as the MQTT listeners.
      const admin = config.listeners.admin;
      await listen('admin', async (port) => {
        const address = await listenServer(api.server, { name: 'admin', host: admin.host, port });
        return {
          name: 'admin',
          address,
          close: async () => {
            await stopListening(api.server);
            api.server.closeIdleConnections();
          },
          destroyConnections: async () => api.server.closeAllConnections(),
        };
      });
    }

    const endpoints: Endpoints = {
      ...(addresses.admin && { admin: endpointUrl('admin', addresses.admin) }),
      ...(addresses.mqtt && { mqtt: endpointUrl('mqtt', addresses.mqtt) }),
      ...(addresses.mqtts && { mqtts: endpointUrl('mqtts', addresses.mqtts) }),
      ...(addresses.ws && { ws: endpointUrl('ws', addresses.ws, ws.path) }),
      ...(addresses.wss && { wss: endpointUrl('wss', addresses.wss, wss.path) }),
      ca: config.tls.ca,
    };
    agentEndpoints = {
      ...(addresses.wss && { register: `https://${agentHost(config, addresses.wss.host)}:${addresses.wss.port}/v1/register` }),
      ...(addresses.mqtts && { mqtts: `mqtts://${agentHost(config, addresses.mqtts.host)}:${addresses.mqtts.port}` }),
      ...(addresses.wss && { wss: `wss://${agentHost(config, addresses.wss.host)}:${addresses.wss.port}${wss.path}` }),
    };
    await writeEndpoints(config.home, endpoints);
    stoppers.push(() => removeEndpoints(config.home, endpoints));
    listening = true;

    logger.info({ endpoints, store: config.store.kind, home: config.home }, 'Gatehouse is running');
    if (options.banner !== false) {
      const storeDescription = config.store.kind === 'sqlite' ? `SQLite ${config.store.path}` : config.store.kind === 'memory' ? 'in memory (nothing is kept)' : 'PostgreSQL';
      (options.banner ?? process.stdout).write(
        renderBanner({ version, firstRun, endpoints, fallbacks, storeDescription, ports: { ...(addresses.mqtt && { mqtt: addresses.mqtt.port }), ...(addresses.mqtts && { mqtts: addresses.mqtts.port }) } }),
      );
    }

    let closed: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing = true;
      closed ??= stopAll().then(() => logger.info('Gatehouse stopped'));
      return closed;
    };
    let drain: Drain | undefined;
    const startDrain = (): Drain => {
      if (drain !== undefined) return drain;
      draining = true;
      const { ratePerSecond, timeoutMs, serverReference } = config.drain;
      const clients = broker.admin.counters.connections;
      logger.info({ clients, ratePerSecond, timeoutMs, serverReference }, 'Draining: no new connections; clients are disconnected at a paced rate');
      // The admin port stays up so that /readyz answers 503 until the process ends.
      for (const handle of handles) if (handle.name !== 'admin') void handle.close();
      const paced = broker.drain({ serverReference, ratePerSecond });
      const deadline = setTimeout(() => {
        logger.warn({ timeoutMs }, 'Drain deadline reached: disconnecting the remaining clients at once');
        paced.hurry();
      }, timeoutMs);
      deadline.unref();
      const done = paced.done.then(() => clearTimeout(deadline)).then(close);
      drain = { done, hurry: paced.hurry };
      return drain;
    };
    return {
      broker,
      identity,
      config,
      endpoints,
      addresses,
      fallbacks,
      firstRun,
      health,
      drain: startDrain,
      close,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The host agents dial: the first configured TLS hostname (the server certificate names it), else the bind address. */
function agentHost(config: GatehouseConfig, bound: string): string {
  return config.tls.hostnames[0] ?? dialableHost(bound);
}
