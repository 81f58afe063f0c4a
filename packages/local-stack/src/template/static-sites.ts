import { resolve } from "node:path";
import type { CfnResource, ProjectService } from "../project";

/**
 * A static site a template declares on the resource that serves it on AWS
 * (a CloudFront distribution, say), in `Metadata.StaticSite`. The gateway
 * serves it at / as that CDN would: files from `Directory`, page requests for
 * extensionless paths (the single-page app's routes) answered by `Fallback`,
 * with the security headers of the `ResponseHeadersPolicy` it names.
 *
 *   Metadata:
 *     StaticSite:
 *       Directory: dist/web/site                 # relative to the project root
 *       Fallback: index.html
 *       ResponseHeadersPolicy: SecurityHeaders   # an AWS::CloudFront::ResponseHeadersPolicy
 *       Build: npm run build:web                 # named when Directory is missing
 */
export interface StaticSite {
  /** `<service>/<LogicalId>` that declared it. */
  source: string;
  directory: string;
  fallback?: string;
  build?: string;
  headers: Record<string, string>;
}

interface SecurityHeadersConfig {
  ContentSecurityPolicy?: { ContentSecurityPolicy?: unknown };
  StrictTransportSecurity?: {
    AccessControlMaxAgeSec?: unknown;
    IncludeSubdomains?: unknown;
    Preload?: unknown;
  };
  FrameOptions?: { FrameOption?: unknown };
  ContentTypeOptions?: unknown;
  ReferrerPolicy?: { ReferrerPolicy?: unknown };
}

/** The headers CloudFront adds for a response headers policy's SecurityHeadersConfig. */
export function securityHeaders(policy: CfnResource | undefined): Record<string, string> {
  const config = (
    policy?.Properties?.ResponseHeadersPolicyConfig as { SecurityHeadersConfig?: SecurityHeadersConfig }
  )?.SecurityHeadersConfig;
  if (!config) return {};
  const headers: Record<string, string> = {};
  const csp = config.ContentSecurityPolicy?.ContentSecurityPolicy;
  // YAML folded text may carry line breaks; a header may not.
  if (typeof csp === "string") headers["content-security-policy"] = csp.replace(/\s+/g, " ").trim();
  const hsts = config.StrictTransportSecurity;
  if (hsts?.AccessControlMaxAgeSec !== undefined) {
    headers["strict-transport-security"] =
      `max-age=${hsts.AccessControlMaxAgeSec}${hsts.IncludeSubdomains ? "; includeSubDomains" : ""}${hsts.Preload ? "; preload" : ""}`;
  }
  if (typeof config.FrameOptions?.FrameOption === "string")
    headers["x-frame-options"] = config.FrameOptions.FrameOption;
  if (config.ContentTypeOptions) headers["x-content-type-options"] = "nosniff";
  if (typeof config.ReferrerPolicy?.ReferrerPolicy === "string") {
    headers["referrer-policy"] = config.ReferrerPolicy.ReferrerPolicy;
  }
  return headers;
}

/** Every `Metadata.StaticSite` of a service's template. */
export function staticSitesOf(service: ProjectService, root: string): StaticSite[] {
  const resources = service.template.Resources;
  const sites: StaticSite[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    const declared = resource.Metadata?.StaticSite as Record<string, unknown> | undefined;
    if (!declared) continue;
    if (typeof declared.Directory !== "string") {
      throw new Error(`${service.templatePath}: ${logicalId}.Metadata.StaticSite.Directory must be a path`);
    }
    const policyId = declared.ResponseHeadersPolicy;
    sites.push({
      source: `${service.name}/${logicalId}`,
      directory: resolve(root, declared.Directory),
      ...(typeof declared.Fallback === "string" ? { fallback: declared.Fallback } : {}),
      ...(typeof declared.Build === "string" ? { build: declared.Build } : {}),
      headers: securityHeaders(typeof policyId === "string" ? resources[policyId] : undefined),
    });
  }
  return sites;
}
