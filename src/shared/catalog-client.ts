import { stripTrailingSlash } from "./config";
import { withDeadline } from "./deadline";
import { DependencyError } from "./errors";
import { type HttpAnswer, type HttpFetch, httpRequest } from "./http-request";
import * as z from "./schema";

/*
 * The catalog's wire contract (snake_case, as in the "Serverless Service
 * Discovery" design) lives here so the catalog service, every registrar and
 * every client agree on one definition.
 */

// "register" and "deregister" are routes under /catalog/; a service with such a
// name could be registered but never looked up (API Gateway matches the static
// segment first), so the names are refused up front.
const RESERVED_NAMES = new Set(["register", "deregister"]);

export const serviceNameSchema = z.string().check(
  z.regex(
    /^[a-z0-9][a-z0-9_-]{0,63}$/,
    "must be 1-64 characters of a-z, 0-9, '_' or '-', starting alphanumeric",
  ),
  z.refine((name) => !RESERVED_NAMES.has(name), "is reserved"),
);

export const serviceVersionSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9._-]{1,32}$/, "must be 1-32 characters of letters, digits, '.', '_' or '-'"));

/**
 * A base URL and nothing else: clients append their own paths to it, so a
 * query, a fragment (`.../locations/<victim>#` swallows the path a client
 * appends) or user info would let whoever registers steer what a client asks for.
 */
export const endpointUrlSchema = z.url({ protocol: /^https?$/, error: "must be an http or https URL" }).check(
  z.maxLength(2048),
  z.refine((url) => !/[?#]/.test(url), "must not have a query or a fragment"),
  z.refine((url) => !/^[^:]+:\/\/[^/]*@/.test(url), "must not have user info"),
);

const MAX_TTL_SECONDS = 86_400;
export const ttlSchema = z.number().check(z.int(), z.positive(), z.maximum(MAX_TTL_SECONDS));

export const serviceStatusSchema = z.enum(["healthy", "unhealthy"]);
export type ServiceStatus = z.infer<typeof serviceStatusSchema>;

/** 200 body of `GET /catalog/{service_name}/{service_version}`. */
const lookupResponseSchema = z.object({
  endpoint_url: endpointUrlSchema,
  ttl: ttlSchema,
  status: serviceStatusSchema,
});

/** The legacy 404 body of the lookup route, kept byte for byte for existing clients. */
const SERVICE_NOT_FOUND_BODY = { error_message: "Service Not Found" } as const;
const notFoundBody = z.object({ error_message: z.literal(SERVICE_NOT_FOUND_BODY.error_message) });

/** The catalog has no registration for this name and version. */
export class ServiceNotFoundError extends DependencyError {
  constructor(service: string, version: string) {
    super(`Service '${service}' version '${version}' is not registered`, service);
    this.name = "ServiceNotFoundError";
  }
}

/** The catalog says the service is registered but unhealthy: do not call it. */
export class ServiceUnhealthyError extends DependencyError {
  constructor(service: string, version: string) {
    super(`Service '${service}' version '${version}' is registered as unhealthy`, service);
    this.name = "ServiceUnhealthyError";
  }
}

/** The catalog could not be asked (network, timeout, 5xx, odd answer) and nothing usable was cached. */
export class CatalogUnavailableError extends DependencyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, "catalog", options);
    this.name = "CatalogUnavailableError";
  }
}

export interface CatalogClientOptions {
  /** Base URL of the catalog API, stage included (SSM `/meridian/{env}/catalog/api/url`). */
  catalogUrl: string;
  fetch?: HttpFetch;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Deadline for one lookup request. */
  timeoutMs?: number;
  /**
   * How long past its ttl the last answer may still be used while the catalog
   * cannot be reached. Bounded so a long outage ends in a clear error (and the
   * caller's fallback) rather than in calls to an endpoint long gone.
   */
  maxStaleSeconds?: number;
  /** How long a "not registered" answer is remembered; the 404 carries no ttl. */
  notFoundTtlSeconds?: number;
  /**
   * After a failed request, further lookups of that service skip the network
   * for this long, so an outage does not add a timeout to every caller request.
   */
  retryAfterFailureSeconds?: number;
}

export interface CatalogClient {
  /** The endpoint URL of a healthy registration; throws the typed errors above otherwise. */
  lookup(serviceName: string, version: string): Promise<string>;
}

type Answer = { kind: "healthy"; endpointUrl: string } | { kind: "unhealthy" } | { kind: "not-found" };

interface CacheEntry {
  answer: Answer;
  freshUntil: number;
  staleUntil: number;
}

const DEFAULTS = {
  timeoutMs: 1500,
  maxStaleSeconds: 900,
  notFoundTtlSeconds: 30,
  retryAfterFailureSeconds: 5,
};

interface Settings {
  baseUrl: string;
  fetch: HttpFetch;
  now: () => number;
  timeoutMs: number;
  maxStaleMs: number;
  notFoundTtlMs: number;
  retryAfterFailureMs: number;
}

function settingsOf(options: CatalogClientOptions): Settings {
  return {
    baseUrl: stripTrailingSlash(options.catalogUrl),
    fetch: options.fetch ?? httpRequest,
    now: options.now ?? Date.now,
    timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
    maxStaleMs: (options.maxStaleSeconds ?? DEFAULTS.maxStaleSeconds) * 1000,
    notFoundTtlMs: (options.notFoundTtlSeconds ?? DEFAULTS.notFoundTtlSeconds) * 1000,
    retryAfterFailureMs: (options.retryAfterFailureSeconds ?? DEFAULTS.retryAfterFailureSeconds) * 1000,
  };
}

/** The catalog's answer to one lookup and how long it holds; throws CatalogUnavailableError otherwise. */
async function askCatalog(
  settings: Settings,
  serviceName: string,
  version: string,
): Promise<{ answer: Answer; ttlMs: number }> {
  const url = `${settings.baseUrl}/catalog/${encodeURIComponent(serviceName)}/${encodeURIComponent(version)}`;
  // The signal covers a well-behaved fetch; the deadline also covers one that ignores it.
  return withDeadline(
    async (signal) => {
      let response: HttpAnswer;
      try {
        response = await settings.fetch(url, {
          method: "GET",
          headers: { accept: "application/json" },
          signal,
        });
      } catch (error) {
        throw new CatalogUnavailableError("Catalog lookup failed", { cause: error });
      }
      return readAnswer(response, settings.notFoundTtlMs);
    },
    settings.timeoutMs,
    () => new CatalogUnavailableError(`Catalog lookup timed out after ${settings.timeoutMs} ms`),
  );
}

async function readAnswer(
  response: HttpAnswer,
  notFoundTtlMs: number,
): Promise<{ answer: Answer; ttlMs: number }> {
  const body = await readJson(response);
  // Only the catalog's own 404 means "not registered"; a 404 from a
  // wrong base URL or a proxy means the catalog was not reached.
  if (response.status === 404 && notFoundBody.safeParse(body).success) {
    return { answer: { kind: "not-found" }, ttlMs: notFoundTtlMs };
  }
  if (response.status !== 200) {
    throw new CatalogUnavailableError(`Catalog lookup answered ${response.status}`);
  }
  const parsed = lookupResponseSchema.safeParse(body);
  if (!parsed.success) throw new CatalogUnavailableError("Catalog lookup answered an unexpected body");
  const { endpoint_url, ttl, status } = parsed.data;
  const answer: Answer =
    status === "healthy" ? { kind: "healthy", endpointUrl: endpoint_url } : { kind: "unhealthy" };
  return { answer, ttlMs: ttl * 1000 };
}

function unwrap(answer: Answer, serviceName: string, version: string): string {
  if (answer.kind === "healthy") return answer.endpointUrl;
  if (answer.kind === "unhealthy") throw new ServiceUnhealthyError(serviceName, version);
  throw new ServiceNotFoundError(serviceName, version);
}

/**
 * Looks services up in the catalog and remembers each answer for its ttl.
 * While the catalog is unreachable the last answer keeps being served (up to
 * `maxStaleSeconds` past its ttl); the last answer, not the last healthy one,
 * so a service the catalog marked unhealthy or removed is never resurrected
 * from an older cache entry.
 */
export function createCatalogClient(options: CatalogClientOptions): CatalogClient {
  return new CachingCatalogClient(settingsOf(options));
}

class CachingCatalogClient implements CatalogClient {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly backoffUntil = new Map<string, number>();
  // Concurrent lookups of one service share one request instead of stampeding the catalog.
  private readonly inFlight = new Map<string, Promise<CacheEntry>>();

  constructor(private readonly settings: Settings) {}

  async lookup(serviceName: string, version: string): Promise<string> {
    const key = `${serviceName}\u0000${version}`;
    const cached = this.cache.get(key);
    const at = this.settings.now();
    if (cached && at < cached.freshUntil) return unwrap(cached.answer, serviceName, version);

    const usableStale = cached && at < cached.staleUntil ? cached : undefined;
    const backingOff = at < (this.backoffUntil.get(key) ?? 0);
    if (usableStale && backingOff) return unwrap(usableStale.answer, serviceName, version);
    if (!usableStale && backingOff)
      throw new CatalogUnavailableError("Catalog unavailable (recent lookup failed)");
    let entry: CacheEntry;
    try {
      entry = await this.refresh(key, serviceName, version);
    } catch (error) {
      if (usableStale) return unwrap(usableStale.answer, serviceName, version);
      if (error instanceof CatalogUnavailableError) throw error;
      throw new CatalogUnavailableError("Catalog lookup failed", { cause: error });
    }
    return unwrap(entry.answer, serviceName, version);
  }

  private refresh(key: string, serviceName: string, version: string): Promise<CacheEntry> {
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const request = askCatalog(this.settings, serviceName, version)
      .then(({ answer, ttlMs }) => {
        const entry = this.settle(answer, ttlMs);
        this.cache.set(key, entry);
        this.backoffUntil.delete(key);
        return entry;
      })
      .catch((error: unknown) => {
        this.backoffUntil.set(key, this.settings.now() + this.settings.retryAfterFailureMs);
        throw error;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, request);
    return request;
  }

  private settle(answer: Answer, ttlMs: number): CacheEntry {
    const at = this.settings.now();
    return { answer, freshUntil: at + ttlMs, staleUntil: at + ttlMs + this.settings.maxStaleMs };
  }
}

async function readJson(response: HttpAnswer): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new CatalogUnavailableError("Catalog lookup body could not be read", { cause: error });
  }
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export interface ResolvedEndpoint {
  url: string;
  source: "catalog" | "fallback";
}

/**
 * "Ask the catalog, else use the configured URL" for callers that have one
 * (an SSM-provided URL from deploy time). Falls back when the service is not
 * registered or the catalog cannot be reached; an unhealthy registration is
 * rethrown, because calling the fallback URL would reach the same unhealthy
 * service.
 */
export async function resolveEndpoint(
  client: CatalogClient,
  serviceName: string,
  version: string,
  fallbackUrl: string,
): Promise<ResolvedEndpoint> {
  try {
    return { url: await client.lookup(serviceName, version), source: "catalog" };
  } catch (error) {
    if (error instanceof ServiceNotFoundError || error instanceof CatalogUnavailableError) {
      return { url: fallbackUrl, source: "fallback" };
    }
    throw error;
  }
}
