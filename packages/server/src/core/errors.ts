/**
 * The catalogue of stable Gatehouse error codes. Every code has an HTTP status and a message
 * template; docs/errors.md lists the same codes (a test keeps the two in step).
 */
export const errorCatalogue = {
  BAD_REQUEST: { status: 400, message: 'Invalid request: {reason}' },
  UNAUTHORIZED: { status: 401, message: 'Missing or invalid admin API key' },
  FORBIDDEN: { status: 403, message: 'Not allowed: {reason}' },
  NOT_FOUND: { status: 404, message: '{what} "{id}" was not found' },
  CONFLICT: { status: 409, message: '{reason}' },
  REGISTRATION_TOKEN_INVALID: { status: 401, message: 'Cannot register: the registration token {reason}' },
  REGISTRATION_TOKEN_USED: { status: 409, message: 'Cannot register: the registration token was already used; ask for a new one' },
  CSR_REJECTED: { status: 400, message: 'Cannot register: {reason}' },
  CA_REGISTRATION_INVALID: { status: 400, message: 'Cannot register the CA: {reason}' },
  CERTIFICATE_REJECTED: { status: 400, message: 'Cannot register the certificate: {reason}' },
  TEMPLATE_INVALID: { status: 400, message: 'Invalid provisioning template: {reason}' },
  POLICY_INVALID: { status: 400, message: 'Invalid policy document: {reason}' },
  VERSIONS_LIMIT_EXCEEDED: { status: 409, message: 'Cannot create a version of policy "{name}": the policy {name} already has the maximum number of versions ({limit}); delete a version that is not the default first' },
  VERSION_CONFLICT: { status: 409, message: 'Cannot {action}: expected version {expected}, but the current version is {current}; read it again' },
  PROVISIONING_FAILED: { status: 400, message: 'Cannot provision: {reason}' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'Payload of {size} bytes exceeds the limit of {limit} bytes' },
  CONFIG_INVALID: { status: 500, message: 'Invalid configuration: {reason}' },
  PORT_IN_USE: { status: 500, message: 'Cannot listen on {host}:{port} for {listener}: the port is in use (set {setting} to change it)' },
  STORE_UNAVAILABLE: { status: 503, message: 'The store is unavailable: {reason}' },
  NOT_READY: { status: 503, message: 'Gatehouse is not ready: {reason}' },
  INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, { readonly status: number; readonly message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;

/** Fills `{name}` placeholders of a catalogue template. */
export function formatErrorMessage(code: ErrorCode, params: Readonly<Record<string, string | number>> = {}): string {
  return errorCatalogue[code].message.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/**
 * An error that callers are meant to catch and show: it carries a stable code and the HTTP status
 * the admin API answers with.
 *
 * @example
 * throw new GatehouseError('NOT_FOUND', { what: 'Client', id: 'agent-7' });
 */
export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly params: Readonly<Record<string, string | number>>;

  constructor(code: ErrorCode, params: Readonly<Record<string, string | number>> = {}, options?: ErrorOptions) {
    super(formatErrorMessage(code, params), options);
    this.name = 'GatehouseError';
    this.code = code;
    this.status = errorCatalogue[code].status;
    this.params = params;
  }
}
