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
}

export interface ServiceKey {
  service_name: string;
  service_version: string;
}

export interface ServiceRegistryStore {
  get(key: ServiceKey): Promise<ServiceRecord | undefined>;
  /** Creates or replaces the registration for the record's name and version. */
  put(record: ServiceRecord): Promise<void>;
  /** Returns whether a registration existed. */
  delete(key: ServiceKey): Promise<boolean>;
}

export interface CatalogDeps {
  store: ServiceRegistryStore;
  clock?: () => Date;
}

export type Registration = Omit<ServiceRecord, "updated_at">;

export interface Deregistration extends ServiceKey {
  /** False when there was nothing to remove; deregistering is idempotent. */
  removed: boolean;
}

export function createCatalog({ store, clock = () => new Date() }: CatalogDeps) {
  return {
    /** Undefined when not registered: the route answers that in its legacy shape, not as an error. */
    async lookup(
      key: ServiceKey,
    ): Promise<Pick<ServiceRecord, "endpoint_url" | "ttl" | "status"> | undefined> {
      const record = await store.get(key);
      if (!record) return undefined;
      return { endpoint_url: record.endpoint_url, ttl: record.ttl, status: record.status };
    },

    async register(registration: Registration): Promise<ServiceRecord> {
      const record: ServiceRecord = { ...registration, updated_at: clock().toISOString() };
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
