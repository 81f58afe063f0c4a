import type { ServiceKey, ServiceRecord, ServiceRegistryStore, StoredServiceRecord } from "./ports";

export interface CatalogServiceDependencies {
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

export function createCatalog({
  store,
  registrationExpirySeconds,
  clock = () => new Date(),
}: CatalogServiceDependencies) {
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
