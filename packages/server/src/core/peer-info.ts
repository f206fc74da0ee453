/** What a transport knows about the other end of a connection; the broker trusts it as given. */
export type TransportKind = 'tcp' | 'tls' | 'ws' | 'wss';

export interface PeerInfo {
  readonly transport: TransportKind;
  /** Remote address as seen after the PROXY protocol, if any. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localPort: number;
  /** Name of the listener in the configuration (`mqtt`, `mqtts`, `ws`, `wss`). */
  readonly listener: string;
  /** DER of the client certificate on TLS connections that presented one. */
  readonly clientCertificate?: Buffer;
}
