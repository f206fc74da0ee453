/** Transports: listeners that turn TCP, TLS, WebSocket and WSS connections into a Duplex plus PeerInfo. */
export type { ConnectionHandler, ListenAddress, ListenerHandle, ListenOptions } from './listener-handle.js';
export { listenServer, stopListening } from './listen-server.js';
export { listenAgentPort, type AgentPortListenOptions } from './listen-agent-port.js';
export { listenTcp } from './listen-tcp.js';
export { listenTls, proxyFront, type TlsCredentials, type TlsListenOptions } from './listen-tls.js';
export { listenWebSocket, type WebSocketListenOptions } from './listen-websocket.js';
export { WebSocketDuplex } from './websocket-duplex.js';
export { formatIpv6, parseProxyHeader, type ProxyEndpoint, type ProxyHeader, type ProxyParseResult } from './proxy-protocol.js';
export { ProxyProtocolGate } from './proxy-protocol-gate.js';
export { isTrustedSource, ProxyHeaderError, readProxyHeader, trustedSourceList, type ProxiedSocket, type ProxyProtocolPolicy } from './read-proxy-header.js';
