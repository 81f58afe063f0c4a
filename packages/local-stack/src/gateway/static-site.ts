import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, isAbsolute, join, relative, resolve } from "node:path";
import type { StaticSite } from "../template";
import { drain, type Reply, type TargetRequest } from "./request";

/** How the gateway answers for a template's static site (see template/static-sites.ts). */
export interface StaticAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
  detail: string;
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
  ".webmanifest": "application/manifest+json",
};

const isFile = (path: string): boolean => existsSync(path) && statSync(path).isFile();

/** The file a decoded URL path names inside the site; undefined for a path that would leave it. */
function fileFor(site: StaticSite, path: string): string | undefined {
  if (path.includes("\0")) return undefined;
  const file = resolve(site.directory, `.${path.endsWith("/") ? `${path}index.html` : path}`);
  const inside = relative(site.directory, file);
  return inside === "" || inside.startsWith("..") || isAbsolute(inside) ? undefined : file;
}

/**
 * GET/HEAD for the site: a file, or for a page request (Accept: text/html) to
 * an extensionless path, the fallback. Undefined when the site has nothing
 * for the request, so the gateway answers as it would without one.
 */
export function staticAnswer(site: StaticSite, path: string, accept: string): StaticAnswer | undefined {
  if (!existsSync(site.directory)) {
    const hint = site.build ? `: run ${site.build}` : "";
    return {
      status: 503,
      headers: { ...site.headers, "content-type": "application/json" },
      body: JSON.stringify({
        error: { code: "SITE_NOT_BUILT", message: `The static site of ${site.source} is not built${hint}` },
      }),
      detail: `no ${site.directory}`,
    };
  }
  let file = fileFor(site, path);
  const pageRequest = accept.includes("text/html") && extname(path) === "";
  if (file && !isFile(file) && site.fallback && pageRequest) file = join(site.directory, site.fallback);
  if (!file || !isFile(file)) return undefined;
  return {
    status: 200,
    headers: {
      ...site.headers,
      "content-type": CONTENT_TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-cache",
    },
    body: readFileSync(file),
    detail: `static ${relative(site.directory, file)}`,
  };
}

/**
 * Stage 1b: a GET or HEAD for a path under no mounted API goes to the site, if
 * one is served and has something for it; otherwise the request goes on.
 */
export function serveSite(
  target: TargetRequest,
  site: StaticSite | undefined,
  mounts: ReadonlyMap<string, unknown>,
): Reply | undefined {
  if (!site || (target.method !== "GET" && target.method !== "HEAD")) return undefined;
  if (mounts.has(target.segments[0] ?? "")) return undefined;
  const answer = staticAnswer(site, `/${target.segments.join("/")}`, target.headers.accept ?? "");
  if (answer) drain(target.request);
  return answer;
}
