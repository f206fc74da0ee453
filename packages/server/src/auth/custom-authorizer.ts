/**
 * Reads AWS IoT custom-authorizer inputs: the `x-amz-customauthorizer-*` query parameters or
 * headers of a WebSocket upgrade, and the `?…` tail of an MQTT CONNECT username, which also carries
 * SDK metrics (`SDK=`, `Version=`, `Platform=`, `Metadata=`) that must not reach authentication.
 */

export const authorizerNameKey = 'x-amz-customauthorizer-name';
export const authorizerSignatureKey = 'x-amz-customauthorizer-signature';
const sdkMetricKeys = new Set(['SDK', 'Version', 'Platform', 'Metadata']);

/** What a client presented for a custom authorizer. */
export interface CustomAuthorizerInput {
  /** Absent: the tenant's default authorizer applies. */
  readonly authorizerName?: string;
  /** Value of the authorizer's token key; absent when the client sent none. */
  readonly token?: string;
  /** Signature of the token (base64), for authorizers with signing enabled. */
  readonly signature?: string;
}

/**
 * Reads custom-authorizer parameters from a raw query string (`/mqtt?x-amz-customauthorizer-name=…`).
 * Returns `undefined` when none of them is present. Only `%XX` is decoded: a base64 signature's `+`
 * stays a plus (the CRT's MQTT 5 WebSocket builder passes it unencoded).
 *
 * @example
 * parseCustomAuthorizerQuery('x-amz-customauthorizer-name=saas&token=abc', { tokenKeyName: 'token' });
 * // { authorizerName: 'saas', token: 'abc' }
 */
export function parseCustomAuthorizerQuery(rawQuery: string, options: { readonly tokenKeyName?: string } = {}): CustomAuthorizerInput | undefined {
  return pick(splitPairs(rawQuery), options.tokenKeyName);
}

/**
 * Reads custom-authorizer headers of a WebSocket upgrade (Node's lower-case header object).
 *
 * @example
 * parseCustomAuthorizerHeaders(request.headers, { tokenKeyName: 'x-token' });
 */
export function parseCustomAuthorizerHeaders(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  options: { readonly tokenKeyName?: string } = {},
): CustomAuthorizerInput | undefined {
  const get = (name: string): string | undefined => {
    const value = headers[name.toLowerCase()];
    return typeof value === 'string' ? value : value?.[0];
  };
  const pairs: Array<[string, string]> = [];
  for (const name of [authorizerNameKey, authorizerSignatureKey, ...(options.tokenKeyName !== undefined ? [options.tokenKeyName] : [])]) {
    const value = get(name);
    if (value !== undefined) pairs.push([name, name === authorizerSignatureKey ? decodePercent(value) : value]);
  }
  return pick(pairs, options.tokenKeyName);
}

/** An MQTT username split into the user part, authorizer input and the SDK metrics stripped off. */
export interface ParsedMqttUsername {
  /** The username without any `?…` tail ('' when there was none before the `?`). */
  readonly username: string;
  readonly authorizer?: CustomAuthorizerInput;
  /** `SDK`, `Version`, `Platform`, `Metadata` as sent, for connection metadata only. */
  readonly metrics: Readonly<Record<string, string>>;
}

/**
 * Splits a CONNECT username like `user?x-amz-customauthorizer-name=saas&token=abc&SDK=JavaScript`.
 * SDK v1 appends `?SDK=JavaScript&Version=x` even after an existing `?`, so every `?` after the
 * first is read as `&`.
 *
 * @example
 * parseMqttUsername('?SDK=JavaScript&Version=2.2.15'); // { username: '', metrics: { SDK: 'JavaScript', Version: '2.2.15' } }
 */
export function parseMqttUsername(raw: string, options: { readonly tokenKeyName?: string } = {}): ParsedMqttUsername {
  const at = raw.indexOf('?');
  if (at < 0) return { username: raw, metrics: {} };
  const pairs = splitPairs(raw.slice(at + 1).replace(/\?/g, '&'));
  const metrics: Record<string, string> = {};
  const rest: Array<[string, string]> = [];
  for (const pair of pairs) {
    if (sdkMetricKeys.has(pair[0])) metrics[pair[0]] = pair[1];
    else rest.push(pair);
  }
  const authorizer = pick(rest, options.tokenKeyName);
  return { username: raw.slice(0, at), ...(authorizer !== undefined ? { authorizer } : {}), metrics };
}

/**
 * A CONNECT username fit to show (admin API, logs): the part before `?`, the authorizer name and the
 * SDK metrics as sent, every other value of the `?…` tail (token, signature) replaced by `***`.
 *
 * @example
 * redactMqttUsername('?x-amz-customauthorizer-name=saas&token=eyJ…&SDK=JavaScript');
 * // '?x-amz-customauthorizer-name=saas&token=***&SDK=JavaScript'
 */
export function redactMqttUsername(raw: string): string {
  const at = raw.indexOf('?');
  if (at < 0) return raw;
  const tail = raw.slice(at + 1).replace(/[^&?=]+=[^&?]*/g, (pair) => {
    const eq = pair.indexOf('=');
    const name = decodePercent(pair.slice(0, eq));
    return sdkMetricKeys.has(name) || name.toLowerCase() === authorizerNameKey ? pair : `${pair.slice(0, eq)}=***`;
  });
  return `${raw.slice(0, at)}?${tail}`;
}

function pick(pairs: ReadonlyArray<readonly [string, string]>, tokenKeyName: string | undefined): CustomAuthorizerInput | undefined {
  let authorizerName: string | undefined;
  let signature: string | undefined;
  let token: string | undefined;
  for (const [name, value] of pairs) {
    const lower = name.toLowerCase();
    if (lower === authorizerNameKey) authorizerName ??= value;
    else if (lower === authorizerSignatureKey) signature ??= value;
    else if (tokenKeyName !== undefined && name === tokenKeyName) token ??= value;
  }
  if (authorizerName === undefined && signature === undefined && token === undefined) return undefined;
  return {
    ...(authorizerName !== undefined ? { authorizerName } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(signature !== undefined ? { signature } : {}),
  };
}

function splitPairs(raw: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const part of raw.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    pairs.push(eq < 0 ? [decodePercent(part), ''] : [decodePercent(part.slice(0, eq)), decodePercent(part.slice(eq + 1))]);
  }
  return pairs;
}

/** Decodes `%XX` escapes only, leaving `+` and malformed escapes as they are. */
function decodePercent(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
