/**
 * Presence: AWS IoT's lifecycle events and per-thing connectivity. Listens to the broker's lifecycle
 * events and, inside each client's tenant, publishes `$aws/events/presence/connected|disconnected|
 * connect_failed/{clientId}` and `$aws/events/subscriptions/subscribed|unsubscribed/{clientId}` with
 * AWS's payloads (QoS 1, so a subscriber gets them at its subscription's QoS; never retained), and
 * records each thing's connectivity. Clients outside every tenant (service principals) have neither.
 */
import type { BrokerPort, LifecycleEvent } from '../../broker/index.js';
import type { Logger } from '../../core/index.js';
import type { ConnectivityStore, IdentityStore } from '../../store/index.js';
import { ConnectivityRecorder } from './connectivity-recorder.js';
import { connectedPayload, connectFailedPayload, disconnectedPayload, subscriptionPayload } from './presence-payloads.js';
import { clientIdHasEvents, presenceEventTopic, type PresenceEventType, type SubscriptionEventType } from './topics.js';

export interface PresenceServiceOptions {
  readonly broker: BrokerPort;
  readonly logger: Logger;
  /** Publish the MQTT lifecycle events (config `events.presence`); default true. */
  readonly publishEvents?: boolean;
  /** Where per-thing connectivity goes; absent: not recorded. */
  readonly connectivity?: {
    readonly store: ConnectivityStore;
    readonly things: Pick<IdentityStore, 'getThing'>;
    /** This node's id (app/node-id.ts), written with each record. */
    readonly nodeId: string;
  };
}

export interface PresenceService {
  /** Resolves once every event so far is published and its connectivity written. */
  flush(): Promise<void>;
  /** Stops listening, then flushes: call it after the broker has closed, so the shutdown's disconnects are recorded. */
  stop(): Promise<void>;
}

/**
 * @example
 * const presence = startPresenceService({ broker: broker.port, logger, connectivity: { store, things: identity, nodeId } });
 * await broker.close();
 * await presence.stop();
 */
export function startPresenceService(options: PresenceServiceOptions): PresenceService {
  const { broker, logger } = options;
  const publishEvents = options.publishEvents ?? true;
  const connectivity = options.connectivity;
  const recorder = connectivity === undefined ? undefined : new ConnectivityRecorder({ ...connectivity, logger });
  let outbox: LifecycleEvent[] = [];

  // The broker calls listeners in the middle of a change (a takeover, a close): publishing waits
  // for a microtask, when the broker's state is whole again, and keeps the events' order.
  const publishQueued = (): void => {
    const events = outbox;
    outbox = [];
    for (const event of events) {
      try {
        publish(broker, event);
      } catch (error) {
        logger.error({ err: error, event: event.kind, clientId: event.clientId }, 'Cannot publish a lifecycle event');
      }
    }
  };

  const stopListening = broker.onLifecycle((event) => {
    if (publishEvents && event.tenant !== undefined && clientIdHasEvents(event.clientId)) {
      if (outbox.length === 0) queueMicrotask(publishQueued);
      outbox.push(event);
    }
    if (recorder !== undefined && (event.kind === 'connected' || event.kind === 'disconnected')) recorder.record(event);
  });

  const flush = async (): Promise<void> => {
    // The outbox empties within the microtasks of the turn that filled it.
    await Promise.resolve();
    await recorder?.flush();
  };
  let stopped: Promise<void> | undefined;
  return {
    flush,
    stop: () =>
      (stopped ??= (async () => {
        stopListening();
        await flush();
      })()),
  };
}

/** Publishes the event's AWS message, unless nobody would get it (a connect storm nobody watches builds no JSON). */
function publish(broker: BrokerPort, event: LifecycleEvent): void {
  const topic = presenceEventTopic(event.tenant!, eventType(event), event.clientId);
  if (!broker.hasSubscribers(topic)) return;
  broker.publish({ topic, payload: Buffer.from(JSON.stringify(payloadOf(event))), qos: 1, retain: false });
}

function eventType(event: LifecycleEvent): PresenceEventType | SubscriptionEventType {
  return event.kind === 'connect-failed' ? 'connect_failed' : event.kind;
}

function payloadOf(event: LifecycleEvent): object {
  switch (event.kind) {
    case 'connected':
      return connectedPayload(event);
    case 'disconnected':
      return disconnectedPayload(event);
    case 'subscribed':
    case 'unsubscribed':
      return subscriptionPayload(event);
    case 'connect-failed':
      return connectFailedPayload(event);
    default: {
      const never: never = event;
      throw new TypeError(`Unknown lifecycle event ${String((never as LifecycleEvent).kind)}`);
    }
  }
}
