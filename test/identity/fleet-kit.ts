/** Helpers for the fleet provisioning tests: templates through the admin API, and the AWS sample template. */
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
