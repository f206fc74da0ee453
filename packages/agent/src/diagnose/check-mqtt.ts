/** The MQTT steps: the CONNACK, subscribing to the agent's own topics, and a message there and back. */
import { randomBytes } from 'node:crypto';
import type { DiagnosisContext, Verdict } from './diagnosis-context.ts';

const GATEHOUSE = 'Not a firewall matter: ask your Gatehouse operator';

/** MQTT 5 CONNACK reason codes people meet, and 3.1.1 return codes, in words. */
const CONNACK_WORDS: Record<number, string> = {
  1: 'unacceptable protocol version', 2: 'client identifier rejected', 3: 'server unavailable', 4: 'bad user name or password', 5: 'not authorized',
  0x80: 'unspecified error', 0x84: 'unsupported protocol version', 0x85: 'client identifier not valid', 0x86: 'bad user name or password',
  0x87: 'not authorized', 0x88: 'server unavailable', 0x89: 'server busy', 0x8a: 'banned', 0x8c: 'bad authentication method',
  0x95: 'packet too large', 0x97: 'quota exceeded', 0x9c: 'use another server', 0x9d: 'server moved', 0x9f: 'connection rate exceeded',
};

/** Reports the CONNACK of the session the client-certificate step opened. */
export function checkMqttConnect(context: DiagnosisContext): Verdict {
  const outcome = context.mqtt;
  if (outcome === undefined) throw new TypeError('The MQTT CONNECT step needs the client-certificate step\'s connection');
  const version = context.protocolVersion === 5 ? 'MQTT 5' : 'MQTT 3.1.1';
  switch (outcome.kind) {
    case 'accepted':
      return { status: 'pass', cause: `${version} CONNACK 0 (accepted) for client id ${context.clientId ?? '(chosen by the client)'}` };
    case 'refused': {
      const words = CONNACK_WORDS[outcome.code] ?? 'refused';
      const hex = `0x${outcome.code.toString(16).padStart(2, '0')}`;
      return {
        status: 'fail',
        cause: `The server refused the connection: ${version} CONNACK ${hex} (${words})${outcome.reason === undefined ? '' : `: ${outcome.reason}`}`,
        ask: outcome.code === 0x87 || outcome.code === 5
          ? `${GATEHOUSE} to allow iot:Connect for client id ${context.clientId ?? '(none given)'} (a per-thing policy wants the thing name as client id)`
          : `${GATEHOUSE} what CONNACK ${hex} means for this agent`,
      };
    }
    case 'failed':
      return { status: 'fail', cause: `No MQTT session: ${outcome.error.message}`, ask: `Ask the firewall or proxy admin whether ${context.authority} is filtered beyond TLS (the earlier steps passed)` };
    default: {
      const never: never = outcome;
      throw new TypeError(`Unknown MQTT outcome ${JSON.stringify(never)}`);
    }
  }
}

/** Subscribes to `{customer}/{device}/#`; SUBACK 0x87 (3.1.1: 0x80) means a policy denies it. */
export async function checkSubscribe(context: DiagnosisContext): Promise<Verdict> {
  const client = acceptedClient(context);
  if (context.topicPrefix === undefined) return { status: 'skipped', cause: 'The customer and device are not known (--customer and --device), so its own topics are not either' };
  const filter = `${context.topicPrefix}/#`;
  let code: number;
  try {
    const granted = await withTimeout(client.subscribeAsync(filter, { qos: 1 }), context.timeoutMs, `SUBACK for ${filter}`);
    code = granted[0]?.qos ?? 0x80;
  } catch (error) {
    // MQTT.js rejects a refused SUBACK (an ErrorWithSubackPacket) rather than resolving with its codes.
    const refused = (error as { packet?: { granted?: unknown[] } }).packet?.granted?.[0];
    if (typeof refused !== 'number') return { status: 'fail', cause: `Cannot subscribe to ${filter}: ${(error as Error).message}` };
    code = refused;
  }
  if (code >= 0x80) {
    return {
      status: 'fail',
      cause: `A Gatehouse policy denies subscribing to ${filter} (SUBACK 0x${code.toString(16)})`,
      ask: `${GATEHOUSE} to allow iot:Subscribe on topicfilter/${filter.slice(0, -1)}* and iot:Receive on topic/${context.topicPrefix}/* for this agent`,
    };
  }
  return { status: 'pass', cause: `Subscribed to ${filter} (granted QoS ${code})` };
}

/** Publishes to its own topic and waits for the message to come back on the subscription. */
export async function checkRoundTrip(context: DiagnosisContext): Promise<Verdict> {
  const client = acceptedClient(context);
  if (context.topicPrefix === undefined) return { status: 'skipped', cause: 'The customer and device are not known, so there is no own topic to use' };
  const topic = `${context.topicPrefix}/diagnose/${randomBytes(6).toString('hex')}`;
  const started = performance.now();
  const received = new Promise<void>((resolve) => {
    const onMessage = (at: string): void => {
      if (at !== topic) return;
      client.off('message', onMessage);
      resolve();
    };
    client.on('message', onMessage);
  });
  try {
    await withTimeout(client.publishAsync(topic, 'gatehouse-agent diagnose', { qos: 1 }), context.timeoutMs, `PUBACK for ${topic}`);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 0x87) return { status: 'fail', cause: `A Gatehouse policy denies publishing to ${topic} (PUBACK 0x87)`, ask: `${GATEHOUSE} to allow iot:Publish on topic/${context.topicPrefix}/*` };
    return { status: 'fail', cause: `Cannot publish to ${topic}: ${(error as Error).message}`, ask: `${GATEHOUSE} whether this agent may publish to ${topic}` };
  }
  try {
    await withTimeout(received, context.timeoutMs, `the message on ${topic}`);
  } catch {
    return { status: 'fail', cause: `Published to ${topic} but it did not come back within ${context.timeoutMs} ms: a policy may deny iot:Receive`, ask: `${GATEHOUSE} to allow iot:Receive on topic/${context.topicPrefix}/*` };
  }
  return { status: 'pass', cause: `Published to ${topic} and received it back in ${Math.round(performance.now() - started)} ms` };
}

function acceptedClient(context: DiagnosisContext): Extract<NonNullable<DiagnosisContext['mqtt']>, { kind: 'accepted' }>['client'] {
  if (context.mqtt?.kind !== 'accepted') throw new TypeError('The subscribe and round-trip steps need an accepted MQTT session');
  return context.mqtt.client;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
