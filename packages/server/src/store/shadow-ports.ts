/**
 * The shadow store port: each thing's device shadows (the classic one and named ones), stored as the
 * shadow service wrote them, with the version that makes every update optimistic. Memory, SQLite and
 * PostgreSQL implement it and pass the same contract suite (store/contract/shadow-store.contract.ts).
 */

/** The classic (unnamed) shadow's name in the store. Named shadows are 1..64 of `[$a-zA-Z0-9:_-]`. */
export const CLASSIC_SHADOW = '';

/** How long a deleted shadow's version is remembered: recreated within it, the shadow continues its count (AWS: 48 h). */
export const SHADOW_TOMBSTONE_MS = 48 * 60 * 60 * 1000;

/**
 * One shadow as stored. `state` and `metadata` are JSON text the store never reads: the shadow
 * service parses and writes them. A deleted shadow stays as a tombstone (`deletedAt` set, state and
 * metadata `{}`) until `SHADOW_TOMBSTONE_MS` has passed, so its version is not reused. The shadow
 * service writes a tombstone one version past the deleted shadow, so the compare-and-set tells it apart
 * from the live row it replaced.
 */
export interface ShadowRecord {
  readonly tenant: string;
  readonly thing: string;
  /** `CLASSIC_SHADOW` for the classic shadow. */
  readonly name: string;
  /** `{"desired":{...},"reported":{...}}` as JSON text (either section may be absent). */
  readonly state: string;
  /** The same shape with `{"timestamp":T}` leaves, as JSON text. */
  readonly metadata: string;
  /** 1 after the first update, +1 per accepted update. */
  readonly version: number;
  /** Epoch ms of the last write. */
  readonly updatedAt: number;
  /** Epoch ms when the shadow was deleted; absent for a live shadow. */
  readonly deletedAt?: number;
}

/** A page of `listShadowNames`. */
export interface ShadowNamePage {
  /** Names of the thing's live named shadows (the classic one is not listed), ordered bytewise. */
  readonly names: readonly string[];
  /** Present when more may follow: pass it as `cursor` to get the next page. */
  readonly nextCursor?: string;
}

/**
 * Durable shadows. `putShadow` is a compare-and-set on the version, atomic across processes and
 * nodes sharing the database: of two writers that read the same version, one wins and the other is
 * told so and reads again. A resolved `putShadow` survives `kill -9`.
 *
 * @example
 * const current = await shadows.getShadow('acme', 'agent-7', CLASSIC_SHADOW);
 * const written = await shadows.putShadow({ ...next, version: (current?.version ?? 0) + 1 }, current?.version);
 * if (!written) { /* someone else wrote first: read again and retry, or answer 409 *\/ }
 */
export interface ShadowStore {
  /** The shadow, live or tombstone (check `deletedAt`); undefined when there is no row at all. */
  getShadow(tenant: string, thing: string, name: string): Promise<ShadowRecord | undefined>;
  /**
   * Writes `record` (a live shadow or a tombstone) when the stored row's version is `expectedVersion`,
   * or when there is no row and `expectedVersion` is undefined. False, writing nothing, otherwise.
   */
  putShadow(record: ShadowRecord, expectedVersion: number | undefined): Promise<boolean>;
  /** The thing's live named shadows; `limit` 1 to 1000, `cursor` the last name of the previous page. */
  listShadowNames(tenant: string, thing: string, query: { readonly limit: number; readonly cursor?: string }): Promise<ShadowNamePage>;
  /** Removes tombstones deleted before `before` (epoch ms); resolves with how many went. */
  purgeTombstones(before: number): Promise<number>;
}

/** A ShadowStore with its lifecycle, as the composition root holds it. */
export interface ShadowStoreBackend extends ShadowStore {
  /** Creates or migrates the tables; safe on every start. */
  open(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Refuses a record or expected version no backend could store faithfully (a programmer error, so a
 * RangeError): versions are non-negative safe integers, times integer epoch milliseconds.
 */
export function checkShadowRecord(record: ShadowRecord, expectedVersion: number | undefined): void {
  const where = `shadow "${record.name}" of thing "${record.thing}"`;
  if (!isCount(record.version)) throw new RangeError(`Cannot write ${where}: version ${record.version} is not a non-negative integer`);
  if (expectedVersion !== undefined && !isCount(expectedVersion)) throw new RangeError(`Cannot write ${where}: expected version ${expectedVersion} is not a non-negative integer`);
  if (!isCount(record.updatedAt)) throw new RangeError(`Cannot write ${where}: updatedAt ${record.updatedAt} is not an epoch millisecond`);
  if (record.deletedAt !== undefined && !isCount(record.deletedAt)) throw new RangeError(`Cannot write ${where}: deletedAt ${record.deletedAt} is not an epoch millisecond`);
  if (typeof record.state !== 'string' || typeof record.metadata !== 'string') throw new TypeError(`Cannot write ${where}: state and metadata must be JSON text`);
}

/** Refuses a purge time that is not an integer epoch millisecond (a RangeError). */
export function checkPurgeTime(before: number): void {
  if (!Number.isSafeInteger(before)) throw new RangeError(`Cannot purge shadow tombstones: ${before} is not an epoch millisecond`);
}

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}
