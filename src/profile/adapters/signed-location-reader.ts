import { stripTrailingSlash } from "../../shared/config";
import { DependencyError } from "../../shared/errors";
import { correlationHeaders } from "../../shared/observability";
import * as z from "../../shared/schema";
import type { SignedHttpClient } from "../../shared/signed-http";
import type { ExactLocation, LocationReader } from "../domain/ports";

const DEPENDENCY = "location";

const locationBody = z.object({
  userId: z.string(),
  latitude: z.number().check(z.minimum(-90), z.maximum(90)),
  longitude: z.number().check(z.minimum(-180), z.maximum(180)),
  updatedAt: z.string().check(z.minLength(1)),
});

const notFoundBody = z.object({ error: z.object({ code: z.literal("NOT_FOUND") }) });

/**
 * Where the location API is, asked before every read: a fixed URL, or a
 * lookup (the catalog) whose answer can change between reads. A lookup that
 * rejects (location registered as unhealthy, say) fails the read before any
 * request is made.
 */
export type LocationEndpoint = string | (() => Promise<string>);

/** Location's IAM-only GET route, called with this function's own role (SigV4). */
export class SignedLocationReader implements LocationReader {
  private readonly baseUrl: () => Promise<string>;

  constructor(
    private readonly client: SignedHttpClient,
    endpoint: LocationEndpoint,
    private readonly timeoutMs: number,
    // Read per call, not at construction: the reader is built once at cold
    // start and serves many requests.
    private readonly correlation: () => Record<string, string> = correlationHeaders,
  ) {
    if (typeof endpoint === "string") {
      const fixed = stripTrailingSlash(endpoint);
      this.baseUrl = () => Promise.resolve(fixed);
    } else {
      // A lookup's answer is the catalog's endpoint_url as registered, so it is normalised per answer.
      this.baseUrl = async () => stripTrailingSlash(await endpoint());
    }
  }

  async read(userId: string): Promise<ExactLocation | null> {
    const url = `${await this.baseUrl()}/locations/${encodeURIComponent(userId)}`;
    // The client's one deadline covers credentials, signing, the request and the body.
    // Location's httpHandler adopts the correlation id, so its log lines join ours.
    const response = await this.client.request("GET", url, {
      timeoutMs: this.timeoutMs,
      headers: this.correlation(),
    });
    // Only location's own "no such location" counts as none: a 404 from
    // anything else (a wrong URL, a proxy) means the service is not reachable.
    if (response.status === 404 && notFoundBody.safeParse(response.body).success) return null;
    if (response.status !== 200) {
      throw new DependencyError(`GET location answered ${response.status}`, DEPENDENCY);
    }
    const parsed = locationBody.safeParse(response.body);
    if (!parsed.success) throw new DependencyError("GET location answered an unexpected body", DEPENDENCY);
    // Whatever the URL was made of, only this user's own position may be shown as theirs.
    if (parsed.data.userId !== userId) {
      throw new DependencyError("GET location answered another user's position", DEPENDENCY);
    }
    const { latitude, longitude, updatedAt } = parsed.data;
    return { latitude, longitude, updatedAt };
  }
}
