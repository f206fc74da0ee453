/** How every SQL store runs a verb: nothing once closed, and a database failure named by the action it broke. */
import { GatehouseError } from '../../core/index.js';
import { reasonOf } from './open-sql-store.js';

/**
 * Refuses a verb on a closed store with STORE_UNAVAILABLE.
 *
 * @example
 * assertStoreOpen(this.#closed);
 */
export function assertStoreOpen(closed: boolean): void {
  if (closed) throw new GatehouseError('STORE_UNAVAILABLE', { reason: 'the store is closed' });
}

/**
 * Runs one verb's statements. A GatehouseError is a refusal the verb chose and passes through, as do
 * TypeError and RangeError (bad input found inside the verb, or a programmer error: retrying will not
 * help); anything else is the database failing, so callers see STORE_UNAVAILABLE naming the action.
 *
 * @example
 * await runStoreQuery('read shadow', () => db.selectFrom('shadows').selectAll().execute());
 * // on a dropped connection: STORE_UNAVAILABLE "cannot read shadow: Connection terminated unexpectedly"
 */
export async function runStoreQuery<T>(action: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof GatehouseError || error instanceof TypeError || error instanceof RangeError) throw error;
    throw new GatehouseError('STORE_UNAVAILABLE', { reason: `cannot ${action}: ${reasonOf(error)}` }, { cause: error });
  }
}
