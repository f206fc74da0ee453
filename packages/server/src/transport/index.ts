/** Transports: listeners that turn TCP, TLS, WebSocket and WSS connections into a Duplex plus PeerInfo. */
export type { ConnectionHandler, ListenAddress, ListenerHandle, ListenOptions } from './listener-handle.js';
export { listenServer, stopListening } from './listen-server.js';
export { listenTcp } from './listen-tcp.js';
export { listenTls, type TlsCredentials, type TlsListenOptions } from './listen-tls.js';
export { listenWebSocket, type WebSocketListenOptions } from './listen-websocket.js';
export { WebSocketDuplex } from './websocket-duplex.js';
