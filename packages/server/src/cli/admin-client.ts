/** The CLI's only way into Gatehouse: HTTP calls to the admin REST API with the admin key. */

/** An error the CLI prints as `Error: <message>` and exits 1 for. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

/** The API answered with an error body; `message` is the API's own message, shown as it is. */
export class AdminApiError extends CliError {
  readonly status: number;
  readonly code: string;

  constructor(message: string, options: { status: number; code: string }) {
    super(message);
    this.status = options.status;
    this.code = options.code;
  }
}

export interface AdminClientOptions {
  /** Base URL of the admin listener, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly key: string;
}

/**
 * A thin `fetch` wrapper: sends the key, parses JSON, and turns error answers into AdminApiError.
 * The key is only ever placed in the Authorization header, never in a message.
 *
 * @example
 * const api = new AdminClient({ url: 'http://127.0.0.1:8080', key });
 * const page = await api.request<Page<ClientInfo>>('GET', '/v1/clients?limit=10');
 */
export class AdminClient {
  readonly #base: URL;
  readonly #key: string;

  constructor(options: AdminClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url);
    } catch {
      throw new CliError(`Invalid admin API URL "${options.url}": expected something like http://127.0.0.1:8080`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new CliError(`Invalid admin API URL "${options.url}": the scheme must be http or https`);
    }
    this.#base = base;
    this.#key = options.key;
  }

  get url(): string {
    return this.#base.origin;
  }

  /** Resolves with the parsed JSON body, or `undefined` for an empty one (204). */
  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T | undefined> {
    const url = new URL(path, this.#base);
    const headers: Record<string, string> = { authorization: `Bearer ${this.#key}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (error) {
      throw new CliError(`Cannot reach the admin API at ${this.url}: ${networkReason(error)}`);
    }
    const text = await response.text();
    const parsed = text.length === 0 ? undefined : parseJson(text);
    if (!response.ok) {
      const answer = parsed as { code?: unknown; message?: unknown } | undefined;
      const message = typeof answer?.message === 'string' ? answer.message : `The admin API answered ${response.status} ${response.statusText}`;
      throw new AdminApiError(message, { status: response.status, code: typeof answer?.code === 'string' ? answer.code : 'HTTP_ERROR' });
    }
    return parsed as T | undefined;
  }

  /**
   * GETs a binary or text body (a CRL) as bytes; an error answer becomes AdminApiError as in `request`.
   *
   * @example
   * const der = await api.download(`/v1/cas/${id}/crl`);
   */
  async download(path: string): Promise<Buffer> {
    const url = new URL(path, this.#base);
    let response: Response;
    try {
      response = await fetch(url, { headers: { authorization: `Bearer ${this.#key}` } });
    } catch (error) {
      throw new CliError(`Cannot reach the admin API at ${this.url}: ${networkReason(error)}`);
    }
    const body = Buffer.from(await response.arrayBuffer());
    if (response.ok) return body;
    let answer: { code?: unknown; message?: unknown } | undefined;
    try {
      answer = JSON.parse(body.toString('utf8')) as { code?: unknown; message?: unknown };
    } catch {
      answer = undefined;
    }
    const message = typeof answer?.message === 'string' ? answer.message : `The admin API answered ${response.status} ${response.statusText}`;
    throw new AdminApiError(message, { status: response.status, code: typeof answer?.code === 'string' ? answer.code : 'HTTP_ERROR' });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError('The admin API answered with something that is not JSON: is the URL the admin listener?');
  }
}

/** undici wraps the socket error as `cause`; its code (ECONNREFUSED, ENOTFOUND) says the most. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
