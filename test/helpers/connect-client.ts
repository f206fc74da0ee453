/** An MQTT.js client for black-box tests that need a full client library rather than raw packets. */
import mqtt, { type IClientOptions, type IConnackPacket, type MqttClient, type OnMessageCallback } from 'mqtt';

/**
 * An MQTT.js client that has its CONNACK; never reconnects on its own, so tests see every close.
 *
 * @example
 * const { client } = await connectClient(gh.urls.mqtt, { clientId: 'a' }, (topic, payload) => got.push(payload));
 * await client.subscribeAsync('a/#', { qos: 1 });
 * await client.endAsync();
 */
export async function connectClient(url: string, options: IClientOptions = {}, onMessage?: OnMessageCallback): Promise<{ client: MqttClient; connack: IConnackPacket }> {
  const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
  // Attached before CONNACK: a resumed session's messages follow it at once.
  if (onMessage !== undefined) client.on('message', onMessage);
  const connack = await new Promise<IConnackPacket>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
    client.once('close', () => reject(new Error(`Connection to ${url} closed before CONNACK`)));
  });
  client.on('error', () => {});
  return { client, connack };
}

/**
 * The SUBACK reason codes for one filter. MQTT.js rejects `subscribeAsync` when the broker refuses a
 * filter, with the SUBACK attached to the error; this reads the codes either way.
 *
 * @example
 * assert.deepEqual(await subackCodes(client, 'other/#'), [0x87]);
 */
export async function subackCodes(client: MqttClient, filter: string): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filter, { qos: 1 })).map((grant) => grant.qos);
  } catch (error) {
    const granted = (error as { packet?: { granted?: number[] } }).packet?.granted;
    if (granted === undefined) throw error;
    return granted;
  }
}
