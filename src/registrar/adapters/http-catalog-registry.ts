import { DependencyError } from "../../shared/errors";
import type { SignedHttpClient } from "../../shared/signed-http";
import type { CatalogRegistry, Registration } from "../domain/ports";

/** The catalog's IAM-only POST routes, called with the registrar's own role (SigV4). */
export class HttpCatalogRegistry implements CatalogRegistry {
  constructor(
    private readonly client: SignedHttpClient,
    /** The catalog's base URL with no trailing slash, as config's `baseUrl` gives it. */
    private readonly baseUrl: string,
  ) {}

  async register(registration: Registration): Promise<void> {
    const response = await this.client.request("POST", `${this.baseUrl}/catalog/register`, {
      body: registration,
    });
    if (response.status !== 201) throw this.failure("register", response.status, response.body);
  }

  async deregister(serviceName: string, serviceVersion: string): Promise<void> {
    const response = await this.client.request("POST", `${this.baseUrl}/catalog/deregister`, {
      body: { service_name: serviceName, service_version: serviceVersion },
    });
    if (response.status !== 200) throw this.failure("deregister", response.status, response.body);
  }

  private failure(route: string, status: number, body: unknown): DependencyError {
    // The catalog's 4xx bodies are its own validation messages, safe and useful in the registrar's log.
    const detail = status < 500 ? `: ${JSON.stringify(body)}` : "";
    return new DependencyError(`POST /catalog/${route} answered ${status}${detail}`, "catalog");
  }
}
