/**
 * The once-a-second sweep over connections: keep alive at 1.5 times the interval [MQTT-3.1.2-22],
 * the CONNECT (and authentication) timeout, and slow consumers past their grace period.
 */
import { ReasonCode } from '../mqtt/index.js';
import type { Connection } from './connection.js';
import { countDrop } from './counters.js';
import type { BrokerCounters, BrokerLimits } from './types.js';

export function sweepConnections(
  connections: Iterable<Connection>,
  options: { readonly now: number; readonly connectTimeoutMs: number; readonly limits: BrokerLimits; readonly counters: BrokerCounters },
): void {
  const { now, connectTimeoutMs, limits, counters } = options;
  for (const connection of connections) {
    if (connection.state === 'connecting' || connection.state === 'authenticating') {
      if (now - connection.openedAt > connectTimeoutMs) connection.close('connect-timeout', false);
      continue;
    }
    if (connection.keepAlive > 0 && now - connection.lastPacketAt > connection.keepAlive * 1500) {
      connection.disconnect(ReasonCode.KeepAliveTimeout, 'Keep alive timeout', 'keepalive-timeout');
      continue;
    }
    if (connection.congested && now - connection.congestedSince > limits.slowConsumerTimeoutMs) {
      countDrop(counters, 'slow-consumer-disconnect');
      connection.disconnect(ReasonCode.QuotaExceeded, 'Client does not read fast enough', 'slow-consumer');
      connection.destroy();
    }
  }
}
