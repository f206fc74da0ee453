/** Turns a validated list query into the broker's ListOptions (optional fields stay absent). */
import type { ListOptions } from '../../broker/index.js';
import type { ListQuery } from '../schemas.js';

export function listOptions(query: ListQuery): ListOptions {
  return {
    limit: query.limit ?? 100,
    ...(query.tenant === undefined ? {} : { tenant: query.tenant }),
    ...(query.prefix === undefined ? {} : { prefix: query.prefix }),
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  };
}
