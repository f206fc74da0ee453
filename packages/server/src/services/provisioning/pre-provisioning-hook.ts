/**
 * The pre-provisioning hook: before RegisterThing provisions anything, Gatehouse POSTs AWS's hook
 * input to the template's webhook URL (where AWS invokes a Lambda) and goes ahead only when the
 * answer says `"allowProvisioning": true`, within five seconds.
 */

/** AWS's hook input; `templateArn` is `arn:gatehouse:iot::{tenant}:provisioningtemplate/{name}`. */
export interface PreProvisioningHookInput {
  readonly claimCertificateId: string;
  readonly certificateId: string;
  readonly certificatePem: string;
  readonly templateArn: string;
  readonly clientId: string;
  readonly parameters: Readonly<Record<string, string>>;
}

export type HookVerdict =
  | { readonly allowed: true; readonly parameterOverrides: Readonly<Record<string, string>> }
  /** `reason` is for the server log: it may name the URL, so it is not sent to the device. */
  | { readonly allowed: false; readonly reason: string };

/** AWS gives the Lambda five seconds. */
export const HOOK_TIMEOUT_MS = 5000;
const maxAnswerBytes = 64 * 1024;

/** The ARN a hook sees for a tenant's template (the tenant stands where AWS has the account). */
export function templateArn(tenant: string, templateName: string): string {
  return `arn:gatehouse:iot::${tenant}:provisioningtemplate/${templateName}`;
}

/**
 * Reads a hook's JSON answer. Only `allowProvisioning: true` allows; `parameterOverrides` must be an
 * object of text values (they replace the device's parameters of the same name).
 *
 * @example
 * readHookAnswer({ allowProvisioning: true, parameterOverrides: { Location: 'Lyon' } });
 * // { allowed: true, parameterOverrides: { Location: 'Lyon' } }
 */
export function readHookAnswer(answer: unknown): HookVerdict {
  if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) return { allowed: false, reason: 'the answer is not a JSON object' };
  const { allowProvisioning, parameterOverrides } = answer as Record<string, unknown>;
  if (allowProvisioning !== true) {
    return { allowed: false, reason: allowProvisioning === false ? 'it answered allowProvisioning: false' : 'the answer has no allowProvisioning: true' };
  }
  if (parameterOverrides === undefined || parameterOverrides === null) return { allowed: true, parameterOverrides: {} };
  if (typeof parameterOverrides !== 'object' || Array.isArray(parameterOverrides) || !Object.values(parameterOverrides).every((value) => typeof value === 'string')) {
    return { allowed: false, reason: 'its parameterOverrides is not an object of text values' };
  }
  return { allowed: true, parameterOverrides: { ...(parameterOverrides as Record<string, string>) } };
}

/**
 * Asks the hook. Never throws: a refused connection, a non-2xx status, a body that is not JSON or
 * no answer within `timeoutMs` all deny, as a failing Lambda does at AWS.
 *
 * @example
 * const verdict = await callPreProvisioningHook('https://hooks.example.com/provision', input);
 * if (!verdict.allowed) logger.info({ reason: verdict.reason }, 'Pre-provisioning hook denied');
 */
export async function callPreProvisioningHook(url: string, input: PreProvisioningHookInput, options: { timeoutMs?: number } = {}): Promise<HookVerdict> {
  const timeoutMs = options.timeoutMs ?? HOOK_TIMEOUT_MS;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(input),
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { allowed: false, reason: `${url} answered HTTP ${response.status}` };
    }
    const text = await readBounded(response, maxAnswerBytes);
    if (text === undefined) return { allowed: false, reason: `${url} answered more than ${maxAnswerBytes} bytes` };
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      return { allowed: false, reason: `${url} did not answer JSON` };
    }
    const verdict = readHookAnswer(answer);
    return verdict.allowed ? verdict : { allowed: false, reason: `${url}: ${verdict.reason}` };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    return { allowed: false, reason: timedOut ? `${url} did not answer within ${timeoutMs} ms` : `${url} could not be reached (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** The body as text, or undefined (and the rest discarded) once it passes `limit` bytes. */
async function readBounded(response: Response, limit: number): Promise<string | undefined> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks).toString('utf8');
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return undefined;
    }
    chunks.push(value);
  }
}
