import { existsSync, readFileSync, statSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { extname, join, relative, resolve, sep } from "node:path";

/**
 * A static site declared by a template (a resource's `Metadata.StaticSite`),
 * served at / as its CDN would serve it: files from `Directory`, extensionless
 * paths (the single-page app's routes) answered by `Fallback`, and the
 * security headers of the `ResponseHeadersPolicy` it names.
 *
 *   Metadata:
 *     StaticSite:
 *       Directory: dist/web/site          # relative to the project root
 *       Fallback: index.html
 *       ResponseHeadersPolicy: SecurityHeaders   # an AWS::CloudFront::ResponseHeadersPolicy
 *       Build: npm run build:web          # shown when Directory is missing
 */
export interface StaticSite {
  /** `<service>/<LogicalId>` that declared it. */
  source: string;
  directory: string;
  fallback?: string;
  build?: string;
  headers: Record<string, string>;
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
};

type Resource = { Type?: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

interface SecurityHeadersConfig {
  ContentSecurityPolicy?: { ContentSecurityPolicy?: string };
  StrictTransportSecurity?: {
    AccessControlMaxAgeSec?: number;
    IncludeSubdomains?: boolean;
    Preload?: boolean;
  };
  FrameOptions?: { FrameOption?: string };
  ContentTypeOptions?: unknown;
  ReferrerPolicy?: { ReferrerPolicy?: string };
}

/** The headers CloudFront adds for a response headers policy's SecurityHeadersConfig. */
export function securityHeaders(policy: Resource | undefined): Record<string, string> {
  const config = (
    policy?.Properties?.ResponseHeadersPolicyConfig as { SecurityHeadersConfig?: SecurityHeadersConfig }
  )?.SecurityHeadersConfig;
  if (!config) return {};
  const headers: Record<string, string> = {};
  const csp = config.ContentSecurityPolicy?.ContentSecurityPolicy;
  if (csp) headers["content-security-policy"] = csp;
  const hsts = config.StrictTransportSecurity;
  if (hsts?.AccessControlMaxAgeSec !== undefined) {
    headers["strict-transport-security"] =
      `max-age=${hsts.AccessControlMaxAgeSec}${hsts.IncludeSubdomains ? "; includeSubDomains" : ""}${hsts.Preload ? "; preload" : ""}`;
  }
  if (config.FrameOptions?.FrameOption) headers["x-frame-options"] = config.FrameOptions.FrameOption;
  if (config.ContentTypeOptions) headers["x-content-type-options"] = "nosniff";
  if (config.ReferrerPolicy?.ReferrerPolicy)
    headers["referrer-policy"] = config.ReferrerPolicy.ReferrerPolicy;
  return headers;
}

/** Every `Metadata.StaticSite` of a template. */
export function staticSitesOf(
  service: string,
  resources: Record<string, Resource>,
  root: string,
): StaticSite[] {
  const sites: StaticSite[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    const declared = resource.Metadata?.StaticSite as
      | { Directory?: unknown; Fallback?: unknown; ResponseHeadersPolicy?: unknown; Build?: unknown }
      | undefined;
    if (!declared) continue;
    if (typeof declared.Directory !== "string") {
      throw new Error(
        `src/${service}/template.yaml: ${logicalId}.Metadata.StaticSite.Directory must be a path`,
      );
    }
    const policyId = declared.ResponseHeadersPolicy;
    sites.push({
      source: `${service}/${logicalId}`,
      directory: resolve(root, declared.Directory),
      ...(typeof declared.Fallback === "string" ? { fallback: declared.Fallback } : {}),
      ...(typeof declared.Build === "string" ? { build: declared.Build } : {}),
      headers: securityHeaders(typeof policyId === "string" ? resources[policyId] : undefined),
    });
  }
  return sites;
}

function jsonError(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** The file a URL path names inside the site, or undefined for a path that leaves it. */
function fileFor(site: StaticSite, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const path = resolve(site.directory, `.${decoded.endsWith("/") ? `${decoded}index.html` : decoded}`);
  const inside = relative(site.directory, path);
  if (inside.startsWith("..") || inside.includes(`..${sep}`) || decoded.includes("\0")) return undefined;
  return path;
}

const isFile = (path: string) => existsSync(path) && statSync(path).isFile();

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

function answer(site: StaticSite, method: string, urlPath: string): Answer {
  const errorHeaders = { ...site.headers, "content-type": "application/json" };
  const error = (status: number, code: string, message: string, extra: Record<string, string> = {}) => ({
    status,
    headers: { ...errorHeaders, ...extra },
    body: jsonError(code, message),
  });
  if (method !== "GET" && method !== "HEAD") {
    return error(405, "METHOD_NOT_ALLOWED", `${method} is not allowed on the static site`, {
      allow: "GET, HEAD",
    });
  }
  if (!existsSync(site.directory)) {
    const hint = site.build ? `: run ${site.build}` : "";
    return error(503, "SITE_NOT_BUILT", `The static site of ${site.source} is not built${hint}`);
  }
  let file = fileFor(site, urlPath);
  if (file && !isFile(file) && site.fallback && extname(urlPath) === "")
    file = join(site.directory, site.fallback);
  if (!file || !isFile(file)) return error(404, "NOT_FOUND", `No file at ${urlPath.slice(0, 200)}`);
  const type = CONTENT_TYPES[extname(file)] ?? "application/octet-stream";
  return {
    status: 200,
    headers: { ...site.headers, "content-type": type, "cache-control": "no-cache" },
    body: readFileSync(file),
  };
}

/** Answers a request for the site; its headers go on every answer, errors included. */
export function serveStatic(
  site: StaticSite,
  method: string,
  urlPath: string,
  response: ServerResponse,
): void {
  const { status, headers, body } = answer(site, method, urlPath);
  response.writeHead(status, { ...headers, "content-length": String(Buffer.byteLength(body)) });
  response.end(method === "HEAD" ? undefined : body);
}
