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
  /**
   * The HTTP upgrade request of a WebSocket connection, for methods that authenticate it (a SigV4
   * presigned URL, custom-authorizer headers). Its URL and headers may carry credentials, so the
   * WebSocket transport makes this property non-enumerable: spreads, JSON and logs skip it. Code that
   * copies a PeerInfo and needs it must copy it by name.
   */
  readonly request?: PeerRequest;
}

/** What the connect hooks may read of a WebSocket upgrade request. */
export interface PeerRequest {
  /** Path and query as received, e.g. `/mqtt?X-Amz-Algorithm=…`. */
  readonly url: string;
  /** Header names in lower case, as Node gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}
