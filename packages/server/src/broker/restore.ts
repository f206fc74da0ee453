/** Rebuilds a session from what the store kept of it (at start, before any client connects). */
import type { LoadedSession } from '../store/index.js';
import { newSessionSubscription, Session } from './session.js';
import { splitSessionKey } from './tenancy.js';

/**
 * A session as it was stored: subscriptions (shared ones with their group), the outgoing queue in
 * order, inflight entries under their packet ids for redelivery with DUP, and incoming QoS 2 ids.
 * A session whose process died while it was connected counts as disconnected from `now`.
 */
export function restoreSession(stored: LoadedSession, now: number): Session {
  const session = new Session(stored.clientId, stored.protocolVersion, stored.expiryInterval);
  session.stored = true;
  session.owner = splitSessionKey(stored.clientId);
  session.disconnectedAt = stored.disconnectedAt ?? now;
  for (const { filter, options } of stored.subscriptions) session.subscriptions.set(filter, newSessionSubscription(session, filter, options));
  for (const outgoing of stored.outgoing) {
    session.advanceSeq(outgoing.seq);
    const packetId = outgoing.packetId ?? 0;
    if (outgoing.state === 'queued' || packetId === 0) {
      session.queue.push({ seq: outgoing.seq, state: 'queued', packetId: 0, message: outgoing.message });
    } else {
      session.inflight.set(packetId, { seq: outgoing.seq, state: outgoing.state, packetId, message: outgoing.message });
    }
  }
  for (const packetId of stored.incomingPacketIds) session.incomingQos2.add(packetId);
  return session;
}
