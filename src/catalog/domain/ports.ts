/** What the catalog domain needs from storage; implemented with DynamoDB in adapters/. */
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
