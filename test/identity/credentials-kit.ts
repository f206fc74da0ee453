/** Helpers for the credentials-provider tests: the mTLS credentials request and role aliases over the admin API. */
import type { TestGatehouse } from '../helpers/index.ts';
import { requestJson, type JsonAnswer, type OnboardedDevice } from './onboarding-kit.ts';

/**
 * `GET /role-aliases/{alias}/credentials` on the WSS port as an agent sends it: over TLS with its
 * client certificate (none when `device` is undefined) and `x-amzn-iot-thingname` unless `thingName` is null.
 */
export function fetchCredentials(
  gh: TestGatehouse,
  device: Pick<OnboardedDevice, 'certificatePem' | 'keyPem' | 'thing'> | undefined,
  alias: string,
  options: { thingName?: string | null; host?: string; port?: number } = {},
): Promise<JsonAnswer> {
  const thingName = options.thingName === undefined ? device?.thing : options.thingName;
  return requestJson(`https://${options.host ?? '127.0.0.1'}:${options.port ?? gh.ports.wss}/role-aliases/${alias}/credentials`, {
    ca: gh.caPem,
    ...(device === undefined ? {} : { cert: device.certificatePem, key: device.keyPem }),
    headers: thingName === null || thingName === undefined ? {} : { 'x-amzn-iot-thingname': thingName },
  });
}

/** The `credentials` object of a 200 answer, or a failed assertion naming what came instead. */
export function credentialsOf(answer: JsonAnswer): { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: string } {
  if (answer.status !== 200) throw new Error(`expected credentials, got ${answer.status} ${answer.text}`);
  return answer.body['credentials'] as { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: string };
}

/** Creates (or replaces) a role alias through the admin API. */
export async function putRoleAlias(gh: TestGatehouse, tenant: string, alias: string, body: Record<string, unknown> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  return requestJson(`${gh.urls.admin}/v1/tenants/${tenant}/role-aliases/${alias}`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${gh.adminKey}` },
    body,
  });
}

/** Onboards through the real flow (admin token, then `POST /v1/register` on the WSS port). */
export function registerUrl(gh: TestGatehouse): { adminUrl: string; adminKey: string; registerUrl: string; ca: string } {
  return { adminUrl: gh.urls.admin, adminKey: gh.adminKey, registerUrl: `https://127.0.0.1:${gh.ports.wss}/v1/register`, ca: gh.caPem };
}
