/** Listening on a configured port, falling back to an OS-assigned one when a default port is taken. */
import { isIPv6 } from 'node:net';
import { GatehouseError } from '../core/index.js';
import type { ListenAddress } from '../transport/index.js';
import type { ListenerName } from './config.js';

/** What each listener is, for people. */
export const listenerTitles: Readonly<Record<ListenerName, string>> = {
  mqtt: 'MQTT over TCP',
  mqtts: 'MQTT over TLS',
  ws: 'MQTT over WebSocket',
  wss: 'MQTT over secure WebSocket',
  admin: 'The admin API',
};

/** A default port that was taken, and where the listener went instead. */
export interface PortFallback {
  readonly listener: ListenerName;
  readonly wanted: number;
  readonly actual: ListenAddress;
  /** One sentence for the banner and the log. */
  readonly message: string;
}

/**
 * Calls `listen(port)`; when the port is in use and nobody chose it (it is the default), calls
 * `listen(0)` on the same host and reports the fallback. An explicit port that is taken fails.
 */
export async function listenWithFallback<T extends { readonly address: ListenAddress }>(options: {
  readonly name: ListenerName;
  readonly host: string;
  readonly port: number;
  readonly explicit: boolean;
  readonly listen: (port: number) => Promise<T>;
}): Promise<{ handle: T; fallback?: PortFallback }> {
  try {
    return { handle: await options.listen(options.port) };
  } catch (error) {
    if (!(error instanceof GatehouseError) || error.code !== 'PORT_IN_USE' || options.explicit || options.port === 0) throw error;
    const handle = await options.listen(0);
    const setting = `listeners.${options.name}.port`;
    const env = `GATEHOUSE__LISTENERS__${options.name.toUpperCase()}__PORT`;
    const host = isIPv6(options.host) ? `[${options.host}]` : options.host;
    const message =
      `Port ${options.port} (${setting}) is in use by another process; ${listenerTitles[options.name]} is listening on ` +
      `${host}:${handle.address.port} instead. Set ${setting} (or ${env}) to choose a port.`;
    return { handle, fallback: { listener: options.name, wanted: options.port, actual: handle.address, message } };
  }
}
