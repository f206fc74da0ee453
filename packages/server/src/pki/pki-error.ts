/** PkiError: why a PKI operation refused its input, with a stable code the API and TLS layer can map. */

/**
 * Stable reasons for refusing PKI input. The API answers these as 400 (client input) except
 * `CA_KEY_UNREADABLE`, which is an operator's configuration problem.
 */
export type PkiErrorCode =
  | 'CA_KEY_UNREADABLE'
  | 'CSR_INVALID'
  | 'CSR_SIGNATURE_INVALID'
  | 'KEY_TOO_WEAK'
  | 'KEY_TYPE_UNSUPPORTED'
  | 'CERTIFICATE_INVALID'
  | 'CA_REGISTRATION_INVALID'
  | 'CHAIN_INVALID';

/**
 * An error whose message is safe to show to the client that sent the input: it never contains key
 * material.
 *
 * @example
 * try { await verifyCsr(csr); } catch (error) { if (error instanceof PkiError) reply(400, error.message); }
 */
export class PkiError extends Error {
  readonly code: PkiErrorCode;

  constructor(code: PkiErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PkiError';
    this.code = code;
  }
}
