import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import type { MultiPolygon, Polygon, Position } from "geojson";
import { feature } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import { ROOT } from "./project";

/**
 * Builds src/web/app into a static site: dist/web/site/ (what npm start
 * serves) and dist/web/site-assets.json (the same files, gzipped and base64, which the
 * web stack's deployer function carries to S3). Asset names carry their
 * content hash so CloudFront may cache them for a year; index.html is never cached.
 */
const WEB_DIR = join(ROOT, "dist", "web");
export const SITE_DIR = join(WEB_DIR, "site");
const SITE_ASSETS_FILE = join(WEB_DIR, "site-assets.json");

const APP_DIR = join(ROOT, "src", "web", "app");
const IMMUTABLE = "public, max-age=31536000, immutable";

export interface SiteFile {
  key: string;
  contentType: string;
  cacheControl: string;
  body: Buffer;
}

export interface BuiltSite {
  version: string;
  files: SiteFile[];
}

const hashOf = (data: Buffer | string) => createHash("sha256").update(data).digest("hex").slice(0, 12);

/**
 * One ring as SVG path data. Rings that cross the antimeridian are unwrapped
 * (longitudes kept within 180° of the previous point) so no line crosses the
 * map, and drawn again 360° over so the part past the edge shows on the other side.
 */
function ringPaths(ring: Position[]): string[] {
  const unwrapped: Array<[number, number]> = [];
  let offset = 0;
  let previousLongitude: number | undefined;
  for (const [longitude = 0, latitude = 0] of ring) {
    if (previousLongitude !== undefined && Math.abs(longitude + offset - previousLongitude) > 180) {
      offset += longitude + offset > previousLongitude ? -360 : 360;
    }
    previousLongitude = longitude + offset;
    unwrapped.push([previousLongitude, latitude]);
  }
  const xs = unwrapped.map(([x]) => x);
  const shifts = [0];
  if (Math.min(...xs) < -180) shifts.push(360);
  if (Math.max(...xs) > 180) shifts.push(-360);
  return shifts.map((shift) => pathData(unwrapped.map(([x, y]) => [x + shift, y])));
}

function pathData(points: Array<[number, number]>): string {
  let path = "";
  let previous: [number, number] | undefined;
  for (const [longitude, latitude] of points) {
    const point: [number, number] = [Math.round((longitude + 180) * 10), Math.round((90 - latitude) * 10)];
    if (previous && point[0] === previous[0] && point[1] === previous[1]) continue;
    path += previous
      ? `l${(point[0] - previous[0]) / 10} ${(point[1] - previous[1]) / 10}`
      : `M${point[0] / 10} ${point[1] / 10}`;
    previous = point;
  }
  return `${path}z`;
}

/** world-atlas' 110m land outlines as one SVG path, equirectangular: x = lon + 180, y = 90 - lat. */
function worldMapPath(): string {
  const topology = JSON.parse(
    readFileSync(join(ROOT, "node_modules", "world-atlas", "land-110m.json"), "utf8"),
  ) as Topology<{ land: GeometryCollection }>;
  const land = feature(topology, topology.objects.land);
  const polygons: Position[][][] = [];
  for (const { geometry } of land.features) {
    if (geometry.type === "Polygon") polygons.push((geometry as Polygon).coordinates);
    if (geometry.type === "MultiPolygon") polygons.push(...(geometry as MultiPolygon).coordinates);
  }
  return polygons.flatMap((rings) => rings.flatMap(ringPaths)).join("");
}

async function bundle(entry: string, worldMapUrl: string): Promise<string> {
  const result = await build({
    entryPoints: [join(APP_DIR, entry)],
    bundle: true,
    minify: true,
    format: "esm",
    target: ["es2022", "chrome110", "firefox110", "safari16"],
    platform: "browser",
    define: { WORLD_MAP_URL: JSON.stringify(worldMapUrl) },
    write: false,
    logLevel: "silent",
  });
  const output = result.outputFiles[0];
  if (!output) throw new Error(`esbuild produced nothing for ${entry}`);
  return output.text;
}

async function buildSite(): Promise<BuiltSite> {
  const world = JSON.stringify({ d: worldMapPath() });
  const worldKey = `assets/world-${hashOf(world)}.json`;
  const js = await bundle("main.ts", `/${worldKey}`);
  const css = await bundle("styles.css", "");
  const jsKey = `assets/app-${hashOf(js)}.js`;
  const cssKey = `assets/app-${hashOf(css)}.css`;
  const html = readFileSync(join(APP_DIR, "index.html"), "utf8")
    .replace("/assets/app.js", `/${jsKey}`)
    .replace("/assets/app.css", `/${cssKey}`);
  const files: SiteFile[] = [
    {
      key: "index.html",
      contentType: "text/html; charset=utf-8",
      cacheControl: "no-cache",
      body: Buffer.from(html),
    },
    {
      key: jsKey,
      contentType: "text/javascript; charset=utf-8",
      cacheControl: IMMUTABLE,
      body: Buffer.from(js),
    },
    { key: cssKey, contentType: "text/css; charset=utf-8", cacheControl: IMMUTABLE, body: Buffer.from(css) },
    { key: worldKey, contentType: "application/json", cacheControl: IMMUTABLE, body: Buffer.from(world) },
  ];
  return { version: hashOf(files.map((file) => file.key).join("\n")), files };
}

/** Builds and writes the site; returns what was written. */
export async function writeSite(): Promise<BuiltSite> {
  const site = await buildSite();
  rmSync(SITE_DIR, { recursive: true, force: true });
  for (const file of site.files) {
    const path = join(SITE_DIR, file.key);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, file.body);
  }
  const manifest = {
    version: site.version,
    files: site.files.map(({ body, ...rest }) => ({
      ...rest,
      gzippedBody: gzipSync(body, { level: 9 }).toString("base64"),
    })),
  };
  writeFileSync(SITE_ASSETS_FILE, JSON.stringify(manifest));
  return site;
}
