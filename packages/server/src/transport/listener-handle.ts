/** The shapes every transport shares: the callback that takes a connection and the handle of a listening server. */
import type { Duplex } from 'node:stream';
import type { PeerInfo } from '../core/index.js';
import type { ProxyProtocolPolicy } from './read-proxy-header.js';

/** Receives one client connection: raw MQTT bytes both ways. Must attach its own handlers before returning. */
export type ConnectionHandler = (stream: Duplex, peer: PeerInfo) => void;

/** Where a listener actually listens (port 0 is resolved to the port the OS assigned). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * A listening transport.
 *
 * @example
 * const handle = await listenTcp({ name: 'mqtt', host: '127.0.0.1', port: 0, onConnection });
 * console.log(handle.address.port);
 * await handle.close();
 */
export interface ListenerHandle {
  readonly name: string;
  readonly address: ListenAddress;
  /** Stops accepting connections; connections already handed over stay open (their owner closes them). */
  close(): Promise<void>;
  /**
   * Waits up to `graceMs` (default 0) for open connections to end by themselves (the broker has
   * just sent them DISCONNECT), then destroys the rest.
   */
  destroyConnections(graceMs?: number): Promise<void>;
}

/** What every `listen*` function takes. */
export interface ListenOptions {
  /** Name of the listener in the configuration (`mqtt`, `mqtts`, `ws`, `wss`); goes into PeerInfo and errors. */
  readonly name: string;
  readonly host: string;
  /** 0 asks the OS for a free port. */
  readonly port: number;
  /** The setting that changes the port, named in the PORT_IN_USE error; default `listeners.<name>.port`. */
  readonly portSetting?: string;
  readonly onConnection: ConnectionHandler;
  /** Told about socket and handshake errors, which never reach the process. */
  readonly onError?: (error: Error, context: string) => void;
  /**
   * Read a PROXY protocol header from these balancers before anything else; the client it names
   * becomes the PeerInfo's address. Refused connections reach `onError` with context `proxy protocol`.
   */
  readonly proxyProtocol?: ProxyProtocolPolicy | undefined;
}
