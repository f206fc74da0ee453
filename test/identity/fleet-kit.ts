/** Helpers for the fleet provisioning tests: templates through the admin API, and the AWS sample template. */
import type { MqttClient } from 'mqtt';
import type { TestGatehouse } from '../helpers/index.ts';
import { requestJson } from './onboarding-kit.ts';

/** An inline policy document that allows everything, as AWS's fleet provisioning samples use. */
export const allowAllPolicy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'iot:*', Resource: '*' }] });

/**
 * AWS's sample fleet template: thing `device-{SerialNumber}`, the certificate ACTIVE, an inline
 * policy, and a device configuration.
 */
export const deviceTemplate = {
  Parameters: {
    SerialNumber: { Type: 'String' },
    'AWS::IoT::Certificate::Id': { Type: 'String' },
  },
  Resources: {
    thing: {
      Type: 'AWS::IoT::Thing',
      Properties: { ThingName: { 'Fn::Join': ['', ['device-', { Ref: 'SerialNumber' }]] }, AttributePayload: { serial: { Ref: 'SerialNumber' } } },
    },
    certificate: { Type: 'AWS::IoT::Certificate', Properties: { CertificateId: { Ref: 'AWS::IoT::Certificate::Id' }, Status: 'ACTIVE' } },
    policy: { Type: 'AWS::IoT::Policy', Properties: { PolicyDocument: allowAllPolicy } },
  },
  DeviceConfiguration: { FallbackUrl: 'https://example.com/fallback', Serial: { Ref: 'SerialNumber' } },
};

/**
 * Creates or replaces a tenant's template with `PUT /v1/tenants/{tenant}/provisioning-templates/{name}`.
 *
 * @example
 * await putTemplate(gh, 'default', 'factory', { templateBody: deviceTemplate });
 */
export async function putTemplate(gh: TestGatehouse, tenant: string, name: string, body: Record<string, unknown>): Promise<void> {
  const answer = await requestJson(`${gh.urls.admin}/v1/tenants/${tenant}/provisioning-templates/${name}`, {
    method: 'PUT', body, headers: { authorization: `Bearer ${gh.adminKey}` },
  });
  if (answer.status !== 200 && answer.status !== 201) throw new Error(`Cannot put template "${name}": ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** An answer on a fleet provisioning topic's `/accepted` or `/rejected`. */
export interface Answer {
  readonly outcome: 'accepted' | 'rejected';
  readonly body: Record<string, unknown>;
}

/** Subscribes to the request's answers first (as AWS asks), publishes, and waits for one answer. */
export async function ask(client: MqttClient, topic: string, payload: unknown): Promise<Answer> {
  await client.subscribeAsync([`${topic}/accepted`, `${topic}/rejected`], { qos: 1 });
  const answer = new Promise<Answer>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`No answer to ${topic} within 5 s`));
    }, 5000);
    function onMessage(answered: string, body: Buffer): void {
      if (answered !== `${topic}/accepted` && answered !== `${topic}/rejected`) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ outcome: answered.endsWith('/accepted') ? 'accepted' : 'rejected', body: JSON.parse(body.toString()) as Record<string, unknown> });
    }
    client.on('message', onMessage);
  });
  await client.publishAsync(topic, Buffer.isBuffer(payload) ? payload : JSON.stringify(payload), { qos: 1 });
  return answer;
}
