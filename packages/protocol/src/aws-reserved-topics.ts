/**
 * Which of AWS IoT's reserved `$aws/...` topics a client may publish to: the request topics its
 * services read, and nothing else. Replies (`/accepted`, `/rejected`, `/delta`, `/documents`), events
 * (`$aws/events/...`) and job notifications come only from the server, so no client can forge them.
 * AWS's reserved-topics page lists each topic's "client operations allowed"; this is its Publish column.
 *
 *   $aws/things/{thing}/shadow[/name/{shadow}]/{get|update|delete}
 *   $aws/things/{thing}/jobs/{get|start-next}        $aws/things/{thing}/jobs/{jobId}/{get|update}
 *   $aws/things/{thing}/defender/metrics/{json|cbor}
 *   $aws/certificates/create[-from-csr]/{json|cbor}  $aws/provisioning-templates/{template}/provision/{json|cbor}
 *   $aws/rules/{rule}/...                            (basic ingest)
 */

const shadowOperations = new Set(['get', 'update', 'delete']);
const formats = new Set(['json', 'cbor']);

/**
 * Whether a client may publish to `topic`, a topic name as the client's tenant sees it. Topics outside
 * `$aws/` are not this function's business and answer true.
 *
 * @example
 * mayClientPublishAwsTopic('$aws/things/agent-7/shadow/update');          // true
 * mayClientPublishAwsTopic('$aws/things/agent-7/shadow/update/accepted'); // false: the service's reply
 * mayClientPublishAwsTopic('$aws/events/presence/connected/agent-7');     // false: the server's event
 */
export function mayClientPublishAwsTopic(topic: string): boolean {
  if (!topic.startsWith('$aws/')) return true;
  const levels = topic.split('/');
  const count = levels.length;
  switch (levels[1]) {
    case 'things':
      return count >= 5 && levels[2] !== '' && mayPublishThingTopic(levels, count);
    case 'certificates':
      return count === 4 && (levels[2] === 'create' || levels[2] === 'create-from-csr') && formats.has(levels[3]!);
    case 'provisioning-templates':
      return count === 5 && levels[2] !== '' && levels[3] === 'provision' && formats.has(levels[4]!);
    case 'rules':
      return count >= 4 && levels[2] !== '';
    default:
      return false;
  }
}

/** `levels` is `$aws/things/{thing}/...` with at least five levels. */
function mayPublishThingTopic(levels: readonly string[], count: number): boolean {
  switch (levels[3]) {
    case 'shadow':
      if (count === 5) return shadowOperations.has(levels[4]!);
      return count === 7 && levels[4] === 'name' && levels[5] !== '' && shadowOperations.has(levels[6]!);
    case 'jobs':
      if (count === 5) return levels[4] === 'get' || levels[4] === 'start-next';
      return count === 6 && levels[4] !== '' && (levels[5] === 'get' || levels[5] === 'update');
    case 'defender':
      return count === 6 && levels[4] === 'metrics' && formats.has(levels[5]!);
    default:
      return false;
  }
}
