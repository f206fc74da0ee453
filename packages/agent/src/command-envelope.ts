/**
 * The wire form of commands sent to an agent and of its replies. MQTT 5 carries the reply address
 * in the request's Response Topic and Correlation Data properties and the body as the payload. MQTT
 * 3.1.1 has no properties, so the request payload is an envelope instead:
 *
 *   request  {"replyTo": "acme/backend/replies/42", "correlationId": "42", "request": {...}}
 *   reply    {"correlationId": "42", "result": {...}}      or   {"correlationId": "42", "error": {"message": "..."}}
 *
 * An MQTT 5 reply has the same `result`/`error` body, without `correlationId` (it is a property).
 */

/** A command as the handler sees it. */
export interface CommandRequest {
  /** The command's name: the last level of its topic. */
  readonly name: string;
  readonly topic: string;
  /** The request body: parsed JSON when the payload is JSON, else the payload as text. */
  readonly body: unknown;
  readonly payload: Buffer;
}

/** Where and how to answer a request; undefined fields mean "no reply asked for". */
export interface ReplyAddress {
  readonly topic: string;
  readonly style: 'mqtt5' | 'envelope';
  readonly correlation?: Buffer | string;
}

/**
 * Reads a request: the body and where to reply. `properties` are the PUBLISH's MQTT 5 properties.
 * A request with no reply address (neither property nor envelope) is a one-way command.
 *
 * @example
 * readCommandRequest(Buffer.from('{"replyTo":"b/replies","correlationId":"7","request":{"x":1}}'));
 * // { body: { x: 1 }, reply: { topic: 'b/replies', style: 'envelope', correlation: '7' } }
 */
export function readCommandRequest(payload: Buffer, properties?: { responseTopic?: string; correlationData?: Buffer }): { body: unknown; reply?: ReplyAddress } {
  const parsed = parseJson(payload);
  if (properties?.responseTopic !== undefined && properties.responseTopic !== '') {
    const reply: ReplyAddress = { topic: properties.responseTopic, style: 'mqtt5', ...(properties.correlationData === undefined ? {} : { correlation: properties.correlationData }) };
    return { body: parsed.ok ? parsed.value : payload.toString('utf8'), reply };
  }
  if (parsed.ok && isEnvelope(parsed.value)) {
    const { replyTo, correlationId, request } = parsed.value;
    return { body: request, reply: { topic: replyTo, style: 'envelope', ...(correlationId === undefined ? {} : { correlation: correlationId }) } };
  }
  return { body: parsed.ok ? parsed.value : payload.toString('utf8') };
}

/**
 * The reply to publish for `outcome` (a handler's result, or the error it threw).
 *
 * @example
 * commandReply({ topic: 'b/replies', style: 'envelope', correlation: '7' }, { result: 'done' });
 * // { topic: 'b/replies', payload: '{"correlationId":"7","result":"done"}' }
 */
export function commandReply(address: ReplyAddress, outcome: { result: unknown } | { error: Error }): { topic: string; payload: string; correlationData?: Buffer } {
  const body = 'error' in outcome ? { error: { message: outcome.error.message } } : { result: outcome.result ?? null };
  if (address.style === 'envelope') {
    const correlationId = address.correlation === undefined ? {} : { correlationId: String(address.correlation) };
    return { topic: address.topic, payload: JSON.stringify({ ...correlationId, ...body }) };
  }
  const correlation = address.correlation === undefined ? {} : { correlationData: Buffer.from(address.correlation) };
  return { topic: address.topic, payload: JSON.stringify(body), ...correlation };
}

function isEnvelope(value: unknown): value is { replyTo: string; correlationId?: string; request?: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return typeof record['replyTo'] === 'string' && record['replyTo'] !== '' && (record['correlationId'] === undefined || typeof record['correlationId'] === 'string');
}

function parseJson(payload: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (payload.length === 0) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(payload.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}
