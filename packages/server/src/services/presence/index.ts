/** Presence: AWS IoT lifecycle events on `$aws/events/...` and per-thing connectivity. */
export { startPresenceService, type PresenceService, type PresenceServiceOptions } from './presence-service.js';
export { ConnectivityRecorder, type ConnectivityRecorderOptions } from './connectivity-recorder.js';
export { presenceEventTopic } from './topics.js';
export type { ConnectedPayload, ConnectFailedPayload, DisconnectedPayload, SubscriptionPayload } from './presence-payloads.js';
