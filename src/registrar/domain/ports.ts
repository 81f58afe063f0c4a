/** The registrar's view of the outside world: what it inspects and where it registers (adapters/). */
import type { ServiceStatus } from "../../shared/catalog-client";

/** One deployed part of a service whose presence the registrar checks. */
export type Part = { kind: "function"; name: string } | { kind: "rest-api"; id: string; stage: string };

/**
 * `broken` exists but cannot serve (a Lambda function in the Failed state, a
 * REST API whose stage is not deployed):
 * the service is unhealthy, yet not gone, so it stays registered.
 */
export type PartState = "present" | "broken" | "missing";

export interface PartsInspector {
  /** Throws when the answer is unknown (throttling, access denied); never guesses "missing". */
  inspect(part: Part): Promise<PartState>;
}

export interface Registration {
  service_name: string;
  service_version: string;
  endpoint_url: string;
  ttl: number;
  status: ServiceStatus;
}

export interface CatalogRegistry {
  register(registration: Registration): Promise<void>;
  deregister(serviceName: string, serviceVersion: string): Promise<void>;
}
