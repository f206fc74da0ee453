/**
 * The `/rejected` answers of fleet provisioning: AWS's `{statusCode, errorCode, errorMessage}` body,
 * with the codes Gatehouse sends, encoded in the request's payload format.
 */
import type { PayloadFormat } from './topics.js';

/**
 * Error codes of `/rejected` answers. AWS documents only the body's shape; `InvalidCertificateOwnershipToken`
 * (400) is what AWS is seen to send. The others are AWS IoT API exception names without the
 * `Exception` suffix, where one fits, as that token is.
 */
export type ProvisioningErrorCode =
  /** 400: the payload is not a JSON object, a field is missing or of the wrong type, or it is CBOR. */
  | 'InvalidPayload'
  /** 400: a CSR Gatehouse will not sign, or a disabled template. */
  | 'InvalidRequest'
  /** 400: empty, forged, expired, another tenant's, or its certificate is gone. */
  | 'InvalidCertificateOwnershipToken'
  /** 404: the tenant has no template of that name. */
  | 'ResourceNotFound'
  /** 403: the pre-provisioning hook refused, failed or did not answer in time; or not a certificate connection. */
  | 'AccessDenied'
  /** 400: the template could not be evaluated or applied (missing parameter, FAIL override, missing policy). */
  | 'ResourceRegistrationFailure'
  /** 429: too many requests of this connection are being worked on. */
  | 'Throttling'
  /** 503: no CA to sign with, or the store is unavailable. */
  | 'ServiceUnavailable'
  /** 500: anything else; the server log has the cause. */
  | 'InternalFailure';

const statusOf: Readonly<Record<ProvisioningErrorCode, number>> = {
  InvalidPayload: 400,
  InvalidRequest: 400,
  InvalidCertificateOwnershipToken: 400,
  ResourceNotFound: 404,
  AccessDenied: 403,
  ResourceRegistrationFailure: 400,
  Throttling: 429,
  ServiceUnavailable: 503,
  InternalFailure: 500,
};

/**
 * A request the service refuses; thrown by the request handlers and turned into the `/rejected`
 * answer in one place. Its message goes to the device, so it never holds secrets.
 *
 * @example
 * throw new ProvisioningRejection('InvalidCertificateOwnershipToken', 'Certificate ownership token cannot be empty.');
 */
export class ProvisioningRejection extends Error {
  readonly errorCode: ProvisioningErrorCode;
  readonly statusCode: number;

  constructor(errorCode: ProvisioningErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ProvisioningRejection';
    this.errorCode = errorCode;
    this.statusCode = statusOf[errorCode];
  }

  /** AWS's error body. */
  toBody(): { statusCode: number; errorCode: string; errorMessage: string } {
    return { statusCode: this.statusCode, errorCode: this.errorCode, errorMessage: this.message };
  }
}

/**
 * The rejection as the payload of the `/rejected` answer: JSON, or CBOR for a `cbor` request (a map
 * of text keys to an unsigned integer and text, RFC 8949), so a CBOR client can read why it was refused.
 *
 * @example
 * encodeRejection(new ProvisioningRejection('Throttling', 'Slow down'), 'json').toString();
 * // '{"statusCode":429,"errorCode":"Throttling","errorMessage":"Slow down"}'
 */
export function encodeRejection(rejection: ProvisioningRejection, format: PayloadFormat): Buffer {
  const body = rejection.toBody();
  if (format === 'json') return Buffer.from(JSON.stringify(body));
  return Buffer.concat([
    cborHead(5, 3),
    cborText('statusCode'), cborHead(0, body.statusCode),
    cborText('errorCode'), cborText(body.errorCode),
    cborText('errorMessage'), cborText(body.errorMessage),
  ]);
}

/** A CBOR item head: major type and an argument below 2^32. */
function cborHead(major: number, value: number): Buffer {
  const type = major << 5;
  if (value < 24) return Buffer.from([type | value]);
  if (value < 0x100) return Buffer.from([type | 24, value]);
  if (value < 0x10000) return Buffer.from([type | 25, value >> 8, value & 0xff]);
  const head = Buffer.alloc(5);
  head[0] = type | 26;
  head.writeUInt32BE(value, 1);
  return head;
}

function cborText(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([cborHead(3, bytes.length), bytes]);
}
