import type { ServiceStatus } from "../../shared/catalog-client";
import type { CatalogRegistry, Part, PartState, PartsInspector } from "./ports";

export interface RegistrarConfig {
  serviceName: string;
  serviceVersion: string;
  endpointUrl: string;
  ttlSeconds: number;
  parts: Part[];
}

export interface PartReport {
  part: string;
  state: PartState;
}

export type Outcome =
  | { action: "registered"; status: ServiceStatus; parts: PartReport[] }
  | { action: "deregistered"; parts: PartReport[] };

function describePart(part: Part): string {
  return part.kind === "function" ? `function:${part.name}` : `rest-api:${part.id}/${part.stage}`;
}

/** Healthy when every part is present, unhealthy when some are not, gone when none exist. */
export function decide(
  states: PartState[],
): { action: "register"; status: ServiceStatus } | { action: "deregister" } {
  if (states.every((state) => state === "missing")) return { action: "deregister" };
  if (states.every((state) => state === "present")) return { action: "register", status: "healthy" };
  return { action: "register", status: "unhealthy" };
}

export interface RegistrarDependencies {
  config: RegistrarConfig;
  inspector: PartsInspector;
  registry: CatalogRegistry;
}

export function createRegistrar({ config, inspector, registry }: RegistrarDependencies) {
  if (config.parts.length === 0) {
    // With nothing to check every run would deregister; that is a misconfiguration, not a verdict.
    throw new Error("A registrar needs at least one part (function or REST API) to check");
  }
  return {
    async run(): Promise<Outcome> {
      // Any inspection error aborts the run: a registration is only changed on a known answer.
      const states = await Promise.all(config.parts.map((part) => inspector.inspect(part)));
      const parts = config.parts.map((part, index) => ({
        part: describePart(part),
        state: states[index] ?? "missing",
      }));
      const decision = decide(states);
      if (decision.action === "deregister") {
        await registry.deregister(config.serviceName, config.serviceVersion);
        return { action: "deregistered", parts };
      }
      await registry.register({
        service_name: config.serviceName,
        service_version: config.serviceVersion,
        endpoint_url: config.endpointUrl,
        ttl: config.ttlSeconds,
        status: decision.status,
      });
      return { action: "registered", status: decision.status, parts };
    },
  };
}

export type Registrar = ReturnType<typeof createRegistrar>;

/** Same action, status and part states: a run that only confirms the last one. */
export function sameOutcome(previous: Outcome | undefined, current: Outcome): boolean {
  if (previous === undefined || previous.action !== current.action) return false;
  if (
    previous.action === "registered" &&
    current.action === "registered" &&
    previous.status !== current.status
  )
    return false;
  const states = (outcome: Outcome) => outcome.parts.map((part) => `${part.part}=${part.state}`).join(",");
  return states(previous) === states(current);
}
