import type { ServiceStatus } from "../../shared/catalog-client";

/** One registration, in the wire's snake_case so the record is the response body as is. */
export interface ServiceRecord {
  service_name: string;
  service_version: string;
  endpoint_url: string;
  ttl: number;
  status: ServiceStatus;
  /** ISO 8601, UTC; when the registration was last written. */
  updated_at: string;
  /**
   * Epoch seconds after which the registration no longer counts. A service's
   * registrar is deleted with its stack, so a registration nobody refreshes
   * must lapse on its own; the table's DynamoDB TTL on it is cleanup only.
   */
  expires_at: number;
}

/**
 * A registration as read back. Ones written before registrations expired have
 * no `expires_at`; they lapse by their `updated_at` instead.
 */
export type StoredServiceRecord = Omit<ServiceRecord, "expires_at"> & { expires_at?: number };

export interface ServiceKey {
  service_name: string;
  service_version: string;
}

export interface ServiceRegistryStore {
  get(key: ServiceKey): Promise<StoredServiceRecord | undefined>;
  /** Creates or replaces the registration for the record's name and version. */
  put(record: ServiceRecord): Promise<void>;
  /** Returns whether a registration existed. */
  delete(key: ServiceKey): Promise<boolean>;
}

export interface CatalogDeps {
  store: ServiceRegistryStore;
  /** How long a registration counts unless its registrar registers it again. */
  registrationExpirySeconds: number;
  clock?: () => Date;
}

export type Registration = Omit<ServiceRecord, "updated_at" | "expires_at">;

export interface Deregistration extends ServiceKey {
  /** False when there was nothing to remove; deregistering is idempotent. */
  removed: boolean;
}

export function createCatalog({ store, registrationExpirySeconds, clock = () => new Date() }: CatalogDeps) {
  function expiresAt(record: StoredServiceRecord): number {
    if (record.expires_at !== undefined) return record.expires_at;
    // NaN (an unreadable updated_at) compares as expired below: not advertised rather than kept forever.
    return Math.floor(Date.parse(record.updated_at) / 1000) + registrationExpirySeconds;
  }

  return {
    /**
     * Undefined when not registered or expired (DynamoDB TTL deletes late, and
     * not at all locally): the route answers that in its legacy shape, not as an error.
     */
    async lookup(
      key: ServiceKey,
    ): Promise<Pick<ServiceRecord, "endpoint_url" | "ttl" | "status"> | undefined> {
      const record = await store.get(key);
      if (!record) return undefined;
      if (!(clock().getTime() < expiresAt(record) * 1000)) return undefined;
      return { endpoint_url: record.endpoint_url, ttl: record.ttl, status: record.status };
    },

    async register(registration: Registration): Promise<ServiceRecord> {
      const now = clock();
      const record: ServiceRecord = {
        ...registration,
        updated_at: now.toISOString(),
        expires_at: Math.floor(now.getTime() / 1000) + registrationExpirySeconds,
      };
      await store.put(record);
      return record;
    },

    async deregister(key: ServiceKey): Promise<Deregistration> {
      const removed = await store.delete(key);
      return { service_name: key.service_name, service_version: key.service_version, removed };
    },
  };
}

export type Catalog = ReturnType<typeof createCatalog>;
