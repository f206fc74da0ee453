/**
 * The connectivity store port: per thing, whether it is connected, since when and why it last
 * disconnected (AWS's GetThingConnectivityData), written by the presence service. Memory, SQLite and
 * PostgreSQL implement it and pass the same contract suite (store/contract/connectivity-store.contract.ts).
 */

/** A thing's connectivity as last written. */
export interface ConnectivityRecord {
  readonly tenant: string;
  readonly thing: string;
  readonly connected: boolean;
  /** Epoch ms of the last connect or disconnect. */
  readonly timestamp: number;
  /**
   * AWS's disconnect reason of the last disconnect. A record without one keeps the reason written
   * before, so the last disconnect's reason stays while the thing is connected again.
   */
  readonly disconnectReason?: string;
  /** The client id of that connection (AWS: normally the thing name). */
  readonly clientId: string;
  /** The node whose broker held the connection: a node that restarts marks its own rows disconnected. */
  readonly nodeId: string;
}

/**
 * Durable connectivity. `setConnectivity` coalesces: every record given in one tick is written in one
 * transaction, the last one per thing wins, and a record older (by `timestamp`) than the stored row is
 * dropped (one of the same millisecond wins), so a connect storm costs a few transactions, not one
 * per connection.
 *
 * @example
 * await connectivity.setConnectivity({ tenant: 'acme', thing: 'agent-7', connected: true, timestamp: Date.now(), clientId: 'agent-7', nodeId });
 * const now = await connectivity.getConnectivity('acme', 'agent-7'); // { connected: true, ... }
 */
export interface ConnectivityStore {
  /** Queues the record for the next batch; resolves once the batch holding it is written. */
  setConnectivity(record: ConnectivityRecord): Promise<void>;
  /** The thing's record (queued writes included); undefined when it never connected. */
  getConnectivity(tenant: string, thing: string): Promise<ConnectivityRecord | undefined>;
  /** The records of these things in the tenant that have one, in no particular order (at most 1000 names). */
  listConnectivity(tenant: string, things: readonly string[]): Promise<ConnectivityRecord[]>;
  /**
   * Marks every row `nodeId` wrote as connected disconnected, with `reason` at `at`: run once at
   * start, before the broker accepts connections, for the connections a crash left behind. Resolves
   * with how many rows changed.
   */
  markNodeDisconnected(nodeId: string, options: { readonly at: number; readonly reason: string }): Promise<number>;
}

/** Largest `things` list `listConnectivity` takes. */
export const MAX_CONNECTIVITY_LIST = 1000;

/** A ConnectivityStore with its lifecycle, as the composition root holds it. */
export interface ConnectivityStoreBackend extends ConnectivityStore {
  /** Creates or migrates the tables; safe on every start. */
  open(): Promise<void>;
  /** Writes what is queued, then closes. */
  close(): Promise<void>;
}

/** Programmer errors in a record: empty names, a time that is not epoch ms. */
export function checkConnectivityRecord(record: ConnectivityRecord): void {
  if (record.tenant.length === 0 || record.thing.length === 0) throw new TypeError('A connectivity record needs a tenant and a thing');
  if (!Number.isSafeInteger(record.timestamp) || record.timestamp < 0) throw new RangeError(`Connectivity timestamp ${record.timestamp} is not epoch milliseconds`);
}

/** The key a batch coalesces on. */
export function connectivityKey(tenant: string, thing: string): string {
  return `${tenant}\0${thing}`;
}

/** A `listConnectivity` list longer than MAX_CONNECTIVITY_LIST is a programmer error. */
export function checkConnectivityList(things: readonly string[]): void {
  if (things.length > MAX_CONNECTIVITY_LIST) throw new RangeError(`listConnectivity takes at most ${MAX_CONNECTIVITY_LIST} things, got ${things.length}`);
}

/** `next` as it replaces `previous`: the previous disconnect reason stays when `next` has none. */
export function mergeConnectivity(previous: ConnectivityRecord | undefined, next: ConnectivityRecord): ConnectivityRecord {
  const reason = next.disconnectReason ?? previous?.disconnectReason;
  return reason === undefined ? { ...next } : { ...next, disconnectReason: reason };
}
