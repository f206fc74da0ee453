/**
 * The request and answer bodies of fleet provisioning by claim (AWS's shapes), and the checks that
 * turn a raw payload into a request or a `/rejected` answer. Fields AWS does not define are ignored:
 * the v2 SDK sends `templateName` in the RegisterThing body, for one.
 */
import { ProvisioningRejection } from './provisioning-rejection.js';

/** CreateKeysAndCertificate's `/accepted` body. `privateKey` is the device's key: never log it. */
export interface CreateKeysAndCertificateResponse {
  readonly certificateId: string;
  readonly certificatePem: string;
  readonly privateKey: string;
  readonly certificateOwnershipToken: string;
}

/** CreateCertificateFromCsr's `/accepted` body. */
export interface CreateCertificateFromCsrResponse {
  readonly certificateId: string;
  readonly certificatePem: string;
  readonly certificateOwnershipToken: string;
}

export interface RegisterThingRequest {
  readonly certificateOwnershipToken: string;
  /** Template parameter values; AWS's map of string to string. */
  readonly parameters: Readonly<Record<string, string>>;
}

/** RegisterThing's `/accepted` body; `thingName` is absent when the template creates no thing. */
export interface RegisterThingResponse {
  readonly deviceConfiguration: Readonly<Record<string, string>>;
  readonly thingName?: string;
}

/** AWS's limits on parameter keys and values (RegisterThing API), and a bound on how many. */
const maxParameterKeyLength = 2048;
const maxParameterValueLength = 4096;
const maxParameters = 100;

/**
 * CreateKeysAndCertificate takes no fields; AWS documents an empty payload and the v2 SDK sends `{}`.
 * Anything else that is not a JSON object is refused.
 */
export function parseCreateKeysRequest(payload: Buffer): void {
  if (payload.length === 0) return;
  readObject(payload, 'CreateKeysAndCertificate');
}

/**
 * @example
 * parseCreateFromCsrRequest(Buffer.from(JSON.stringify({ certificateSigningRequest: csrPem })));
 * // => { certificateSigningRequest: '-----BEGIN CERTIFICATE REQUEST-----…' }
 */
export function parseCreateFromCsrRequest(payload: Buffer): { readonly certificateSigningRequest: string } {
  const body = readObject(payload, 'CreateCertificateFromCsr');
  const csr = body['certificateSigningRequest'];
  if (typeof csr !== 'string' || csr.length === 0) {
    throw new ProvisioningRejection('InvalidPayload', 'Cannot create a certificate from a CSR: the payload has no "certificateSigningRequest" text (a PEM CSR)');
  }
  return { certificateSigningRequest: csr };
}

/**
 * An empty or missing token gets AWS's own answer (400 InvalidCertificateOwnershipToken,
 * "Certificate ownership token cannot be empty."); other shape errors are InvalidPayload.
 *
 * @example
 * parseRegisterThingRequest(Buffer.from('{"certificateOwnershipToken":"eyJ…","parameters":{"SerialNumber":"42"}}'));
 */
export function parseRegisterThingRequest(payload: Buffer): RegisterThingRequest {
  const body = readObject(payload, 'RegisterThing');
  const token = body['certificateOwnershipToken'];
  if (token === undefined || token === null || token === '') {
    throw new ProvisioningRejection('InvalidCertificateOwnershipToken', 'Certificate ownership token cannot be empty.');
  }
  if (typeof token !== 'string') throw new ProvisioningRejection('InvalidPayload', 'Cannot register the thing: "certificateOwnershipToken" must be text');
  const raw = body['parameters'] ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ProvisioningRejection('InvalidPayload', 'Cannot register the thing: "parameters" must be an object of text values');
  }
  const entries = Object.entries(raw);
  if (entries.length > maxParameters) throw new ProvisioningRejection('InvalidPayload', `Cannot register the thing: more than ${maxParameters} parameters`);
  const parameters: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (typeof value !== 'string') throw new ProvisioningRejection('InvalidPayload', `Cannot register the thing: parameter "${key.slice(0, 64)}" must be text`);
    if (key.length > maxParameterKeyLength || value.length > maxParameterValueLength) {
      throw new ProvisioningRejection('InvalidPayload', `Cannot register the thing: parameter "${key.slice(0, 64)}" is longer than ${maxParameterKeyLength} (name) or ${maxParameterValueLength} (value) characters`);
    }
    parameters[key] = value;
  }
  return { certificateOwnershipToken: token, parameters };
}

function readObject(payload: Buffer, operation: string): Readonly<Record<string, unknown>> {
  let body: unknown;
  try {
    body = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new ProvisioningRejection('InvalidPayload', `Cannot read the ${operation} request: the payload is not valid JSON`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ProvisioningRejection('InvalidPayload', `Cannot read the ${operation} request: the payload must be a JSON object`);
  }
  return body as Readonly<Record<string, unknown>>;
}
