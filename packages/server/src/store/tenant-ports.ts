/**
 * The tenant verbs of the identity store port: the records of the tenants themselves (what an AWS
 * account is to AWS IoT). Everything else a tenant owns is keyed by its id elsewhere in the store.
 */
import { GatehouseError } from '../core/index.js';

/** SUSPENDED keeps the tenant's records but is meant to refuse its agents (enforced by authorization). */
export type TenantStatus = 'ACTIVE' | 'SUSPENDED';

export interface TenantRecord {
  /** 1..128 of `[A-Za-z0-9_.:-]`; what every other record's `tenant` holds. */
  readonly id: string;
  /** A display name for people; absent when none was given. */
  readonly name?: string;
  readonly status: TenantStatus;
  /** Epoch ms. */
  readonly createdAt: number;
  /** Epoch ms. */
  readonly updatedAt: number;
}

export interface TenantPage {
  readonly items: readonly TenantRecord[];
  /** Present when more may follow: pass it as `cursor` to get the next page. */
  readonly nextCursor?: string;
}

/**
 * @example
 * await identity.createTenant({ id: 'acme', name: 'ACME Corp.', status: 'ACTIVE', createdAt: now, updatedAt: now });
 * const page = await identity.listTenants({ limit: 100 });
 */
export interface TenantStore {
  /** Creates a tenant; CONFLICT when the id is taken. */
  createTenant(tenant: TenantRecord): Promise<void>;
  /** Creates or replaces a tenant. */
  putTenant(tenant: TenantRecord): Promise<void>;
  getTenant(id: string): Promise<TenantRecord | undefined>;
  /** Ordered by id (bytewise); `cursor` is the last id of the previous page; `limit` 1 to 1000. */
  listTenants(query: { readonly limit: number; readonly cursor?: string }): Promise<TenantPage>;
  /**
   * False when there was no such tenant. CONFLICT while the tenant still has certificates or things,
   * so no device is left belonging to nothing. Its other records (policies, CAs, templates) stay.
   */
  deleteTenant(id: string): Promise<boolean>;
}

export function tenantExists(id: string): GatehouseError {
  return new GatehouseError('CONFLICT', { reason: `Cannot create tenant "${id}": it already exists` });
}

/** What `deleteTenant` throws while devices still belong to the tenant. */
export function tenantNotEmpty(id: string, counts: { readonly certificates: number; readonly things: number }): GatehouseError {
  const parts = [
    counts.certificates > 0 ? `${counts.certificates} certificate${counts.certificates === 1 ? '' : 's'}` : '',
    counts.things > 0 ? `${counts.things} thing${counts.things === 1 ? '' : 's'}` : '',
  ].filter((part) => part !== '');
  return new GatehouseError('CONFLICT', { reason: `Cannot delete tenant "${id}": it still has ${parts.join(' and ')}; delete them first` });
}
