/**
 * The reserved topics of the AWS IoT Device Shadow service, as devices name them: the classic shadow
 * under `$aws/things/{thing}/shadow/` and named ones under `$aws/things/{thing}/shadow/name/{shadow}/`.
 *
 *   .../get      .../get/accepted      .../get/rejected
 *   .../update   .../update/accepted   .../update/rejected   .../update/delta   .../update/documents
 *   .../delete   .../delete/accepted   .../delete/rejected
 */

/** What a request asks of a shadow. */
export type ShadowOperation = 'get' | 'update' | 'delete';

/** The answer and event topics one level below a request topic (`delta` and `documents` follow updates only). */
export type ShadowReply = 'accepted' | 'rejected' | 'delta' | 'documents';

/** A request topic, parsed. `shadow` is absent for the classic shadow. */
export interface ShadowRequestTopic {
  readonly thing: string;
  readonly shadow?: string;
  readonly operation: ShadowOperation;
}

const THING_NAME = /^[a-zA-Z0-9:_-]{1,128}$/;
const SHADOW_NAME = /^[$a-zA-Z0-9:_-]{1,64}$/;

/**
 * Whether `name` is a thing name AWS accepts: 1 to 128 of `[a-zA-Z0-9:_-]`.
 *
 * @example
 * isValidThingName('agent-7'); // true
 * isValidThingName('a/b');     // false
 */
export function isValidThingName(name: string): boolean {
  return THING_NAME.test(name);
}

/**
 * Whether `name` is a named shadow's name AWS accepts: 1 to 64 of `[$a-zA-Z0-9:_-]`.
 *
 * @example
 * isValidShadowName('config'); // true
 * isValidShadowName('');       // false
 */
export function isValidShadowName(name: string): boolean {
  return SHADOW_NAME.test(name);
}

/**
 * The topic of one shadow operation, or of its reply when `reply` is given; `shadow` undefined names
 * the classic shadow. Names are not checked: callers pass names they validated or parsed.
 *
 * @example
 * shadowTopic('agent-7', undefined, 'update', 'delta'); // '$aws/things/agent-7/shadow/update/delta'
 * shadowTopic('agent-7', 'config', 'get');              // '$aws/things/agent-7/shadow/name/config/get'
 */
export function shadowTopic(thing: string, shadow: string | undefined, operation: ShadowOperation, reply?: ShadowReply): string {
  const prefix = shadow === undefined ? `$aws/things/${thing}/shadow` : `$aws/things/${thing}/shadow/name/${shadow}`;
  return reply === undefined ? `${prefix}/${operation}` : `${prefix}/${operation}/${reply}`;
}

/**
 * Reads a request topic (`.../get`, `.../update`, `.../delete`, classic or named); undefined for reply
 * topics, other topics and invalid thing or shadow names, which the service leaves unanswered.
 * Takes a tenant's own topic name: strip the broker's `$tenants/{tenant}/` prefix first.
 *
 * @example
 * parseShadowRequestTopic('$aws/things/agent-7/shadow/name/config/update');
 * // { thing: 'agent-7', shadow: 'config', operation: 'update' }
 * parseShadowRequestTopic('$aws/things/agent-7/shadow/update/accepted'); // undefined
 */
export function parseShadowRequestTopic(topic: string): ShadowRequestTopic | undefined {
  const levels = topic.split('/');
  if (levels[0] !== '$aws' || levels[1] !== 'things' || levels[3] !== 'shadow') return undefined;
  const thing = levels[2];
  if (thing === undefined || !isValidThingName(thing)) return undefined;
  if (levels.length === 5) {
    const operation = asOperation(levels[4]);
    return operation === undefined ? undefined : { thing, operation };
  }
  if (levels.length === 7 && levels[4] === 'name') {
    const shadow = levels[5];
    const operation = asOperation(levels[6]);
    if (shadow === undefined || !isValidShadowName(shadow) || operation === undefined) return undefined;
    return { thing, shadow, operation };
  }
  return undefined;
}

function asOperation(level: string | undefined): ShadowOperation | undefined {
  return level === 'get' || level === 'update' || level === 'delete' ? level : undefined;
}
