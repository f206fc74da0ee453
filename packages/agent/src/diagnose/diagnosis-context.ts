/** What the diagnosis steps hand each other: the endpoint, the proxy decision, open sockets, the MQTT client. */
import type { Socket } from 'node:net';
import type { DetailedPeerCertificate } from 'node:tls';
import type { MqttClient, IConnackPacket } from 'mqtt';
import type { TlsMaterial } from '../open-transport.ts';
import { parseProxyUrl, proxyForUrl } from '../proxy-for-url.ts';
import type { DiagnosisOptions, DiagnosisStatus } from './diagnosis-types.ts';

/** A step's finding before the runner times it. */
export interface Verdict {
  readonly status: DiagnosisStatus;
  readonly cause: string;
  readonly ask?: string;
}

/** The MQTT session the client-certificate step opened, or why the server refused it. */
export type MqttOutcome =
  | { readonly kind: 'accepted'; readonly client: MqttClient; readonly connack: IConnackPacket }
  | { readonly kind: 'refused'; readonly code: number; readonly reason: string | undefined }
  | { readonly kind: 'failed'; readonly error: Error };

export interface DiagnosisContext {
  readonly url: URL;
  readonly host: string;
  readonly port: number;
  /** `host:port` as people write it in firewall rules. */
  readonly authority: string;
  readonly tls: TlsMaterial;
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly protocolVersion: 4 | 5;
  readonly clientId: string | undefined;
  /** `{customer}/{device}` when both are known. */
  readonly topicPrefix: string | undefined;
  readonly proxy: URL | undefined;
  /** Why the proxy is or is not used, for the proxy step to say. */
  readonly proxyReason: string;
  addresses: readonly string[];
  /** The connected TCP socket (direct or tunnel) the TLS step runs on. */
  socket: Socket | undefined;
  peerCertificate: DetailedPeerCertificate | undefined;
  /** Node's verdict on the server certificate's dates (`CERT_HAS_EXPIRED`, `CERT_NOT_YET_VALID`), for the clock step. */
  serverDateError: string | undefined;
  /** A TLS alert about the client certificate seen in the handshake, for the client-certificate step. */
  clientCertificateAlert: string | undefined;
  /** The server's clock (epoch ms) from its HTTP `Date`, asked once when a step needs it. */
  serverTime: Promise<number | undefined> | undefined;
  mqtt: MqttOutcome | undefined;
  /** Run when the diagnosis ends, whatever happened. */
  readonly cleanups: Array<() => void>;
}

const DEFAULT_PORTS: Record<string, number> = { 'mqtts:': 8883, 'wss:': 443 };

/** Reads the options into a context; an unusable endpoint or proxy throws a TypeError naming it. */
export function createDiagnosisContext(options: DiagnosisOptions): DiagnosisContext {
  let url: URL;
  try {
    url = new URL(options.endpoint);
  } catch {
    throw new TypeError(`Cannot diagnose "${String(options.endpoint)}": it is not a URL (mqtts://host:port or wss://host:port/mqtt)`);
  }
  if (url.protocol !== 'mqtts:' && url.protocol !== 'wss:') {
    throw new TypeError(`Cannot diagnose "${url.href}": only mqtts:// and wss:// endpoints are supported`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? (DEFAULT_PORTS[url.protocol] ?? 443) : Number(url.port);
  const env = options.env ?? process.env;
  const { proxy, reason } = decideProxy(url, options.proxy, env);
  const device = options.device;
  return {
    url,
    host,
    port,
    authority: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    tls: options.tls,
    timeoutMs: options.timeoutMs ?? 10_000,
    now: options.now ?? Date.now,
    protocolVersion: options.protocolVersion ?? 5,
    // Not the device's own id: a clean session under it would end a running agent's persistent one.
    clientId: options.clientId ?? (device === undefined ? undefined : `${device}-diagnose`),
    topicPrefix: options.customer !== undefined && device !== undefined ? `${options.customer}/${device}` : undefined,
    proxy,
    proxyReason: reason,
    addresses: [],
    socket: undefined,
    peerCertificate: undefined,
    serverDateError: undefined,
    clientCertificateAlert: undefined,
    serverTime: undefined,
    mqtt: undefined,
    cleanups: [],
  };
}

function decideProxy(url: URL, option: string | false | undefined, env: NonNullable<DiagnosisOptions['env']>): { proxy: URL | undefined; reason: string } {
  if (option === false) return { proxy: undefined, reason: 'not used: turned off (--no-proxy)' };
  if (option !== undefined) return { proxy: parseProxyUrl(option), reason: 'given as an option' };
  const proxy = proxyForUrl(url, env);
  if (proxy !== undefined) return { proxy, reason: 'from HTTPS_PROXY' };
  const set = env['HTTPS_PROXY'] || env['https_proxy'];
  return { proxy: undefined, reason: set ? `not used: NO_PROXY names ${url.hostname}` : 'not used: HTTPS_PROXY is not set' };
}
