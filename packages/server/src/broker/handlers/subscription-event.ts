/** The `subscribed` and `unsubscribed` lifecycle events, shared by the SUBSCRIBE and UNSUBSCRIBE handlers. */
import type { Connection } from '../connection.js';

/** Emits the event for `topics` (the client's own filter names); the caller has checked `lifecycle.active`. */
export function emitSubscriptionEvent(connection: Connection, kind: 'subscribed' | 'unsubscribed', topics: readonly string[]): void {
  const ctx = connection.ctx;
  const principal = connection.principal;
  const tenant = connection.scope.tenant;
  ctx.lifecycle.emit({
    kind,
    clientId: connection.clientId,
    sessionKey: connection.sessionKey,
    ...(tenant === undefined ? {} : { tenant }),
    ...(principal === undefined ? {} : { principal }),
    sessionId: connection.lifecycleSessionId,
    at: ctx.now(),
    topics,
  });
}
