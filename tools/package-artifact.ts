/**
 * npm run package [-- --out dist/artifact] [--source-version <commit>]
 *
 * The Bundle stage's packaging (buildspecs/bundle.yml): bundles and zips
 * every function with the same code tools/deploy uses (tools/lib/root-stack.ts),
 * writes each service's packaged template, the root template nesting them
 * (the stack meridian-<env> that `sam deploy` and `npm run deploy` manage
 * too) and a manifest.json the deployer Lambda reads. Run `npm run configs --
 * --out <out>/configs` first: the root stack's configuration for every
 * environment comes from there.
 *
 * Nothing is uploaded. CodeUri and the nested stacks' Locations name a
 * placeholder bucket; the deployer uploads the zips and templates
 * (content-addressed keys) with its own role and swaps in the artifact
 * bucket, so this step needs no AWS access and a local `npm run pipeline`
 * produces the same bytes CodeBuild does.
 */
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import {
  type ArtifactManifest,
  MANIFEST_FILE,
  MANIFEST_FORMAT,
  PACKAGE_BUCKET_PLACEHOLDER,
  parseManifest,
} from "../src/pipeline/deployer/manifest";
import { DirectoryArtifactStore } from "./lib/artifacts";
import { parseCli, runMain, seconds } from "./lib/cli";
import { loadProject } from "./lib/configurations";
import type { Bundles } from "./lib/package";
import { displayPath, ROOT } from "./lib/project";
import { packageRoot, ROOT_STACK } from "./lib/root-stack";
import { rootStackName } from "./lib/samconfig";

const USAGE = "usage: npm run package [-- --out <dir>] [--source-version <commit>]";
export const PACKAGES_DIR = "packages";
export const CONFIGS_DIR = "configs";

export interface PackageArtifactOptions {
  outDir: string;
  sourceVersion: string;
  /** Where functions are bundled before zipping (default dist/functions, as `npm run bundle`). */
  buildDir?: string;
  /** Bundles already built from the same sources (see packageRoot); default: bundle into buildDir. */
  bundles?: Bundles;
  srcDir?: string;
  environmentsPath?: string;
}

export interface PackagedArtifact {
  manifest: ArtifactManifest;
  files: Array<{ path: string; bytes: number }>;
}

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? listFiles(path, base) : [relative(base, path).split("\\").join("/")];
    })
    .sort();
}

/** Environments that `npm run configs` wrote the root stack's configuration for. */
function configuredEnvironments(configsDir: string): string[] {
  if (!existsSync(configsDir)) {
    throw new Error(
      `${displayPath(configsDir)} not found: run \`npm run configs -- --out ${displayPath(configsDir)}\` first`,
    );
  }
  const environments = readdirSync(configsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(configsDir, entry.name, `${ROOT_STACK}.json`)))
    .map((entry) => entry.name)
    .sort();
  if (environments.length === 0) {
    throw new Error(
      `${displayPath(configsDir)} has no <env>/${ROOT_STACK}.json; run \`npm run configs -- --out ${displayPath(configsDir)}\``,
    );
  }
  return environments;
}

export async function packageArtifact(options: PackageArtifactOptions): Promise<PackagedArtifact> {
  const project = loadProject({
    ...(options.srcDir ? { srcDir: options.srcDir } : {}),
    ...(options.environmentsPath ? { environmentsPath: options.environmentsPath } : {}),
  });
  const environments = configuredEnvironments(join(options.outDir, CONFIGS_DIR));

  // Only what this step owns is replaced; configs/ is `npm run configs`' output.
  rmSync(join(options.outDir, PACKAGES_DIR), { recursive: true, force: true });
  rmSync(join(options.outDir, MANIFEST_FILE), { force: true });

  const store = new DirectoryArtifactStore(options.outDir, PACKAGE_BUCKET_PLACEHOLDER);
  const buildDir = options.buildDir ?? join(ROOT, "dist", "functions");
  const packaged = await packageRoot(project, {
    store,
    buildDir,
    prefix: PACKAGES_DIR,
    bundles: options.bundles,
  });
  const services: ArtifactManifest["services"] = project.services.map((service) => {
    const entry = packaged.services.find((candidate) => candidate.service === service.name);
    if (!entry) throw new Error(`${service.name}: not packaged`);
    return {
      name: service.name,
      dependencies: [...service.metadata.dependencies],
      template: entry.templateArtifact.key,
      packages: entry.functions.map((fn) => fn.artifact.key),
      ...(entry.nestedTemplates.length > 0
        ? { nestedTemplates: entry.nestedTemplates.map((artifact) => artifact.key) }
        : {}),
    };
  });
  services.push({
    name: ROOT_STACK,
    dependencies: [],
    template: packaged.templateArtifact.key,
    packages: [],
    nested: project.services.map((service) => service.name),
  });

  const manifest: ArtifactManifest = {
    format: MANIFEST_FORMAT,
    sourceVersion: options.sourceVersion,
    services,
    environments: Object.fromEntries(
      environments.map((environment) => [
        environment,
        [
          {
            service: ROOT_STACK,
            stackName: rootStackName(environment),
            configuration: `${CONFIGS_DIR}/${environment}/${ROOT_STACK}.json`,
          },
        ],
      ]),
    ),
  };
  // The deployer's own check, here, so a bad manifest fails the Bundle stage rather than a Deploy.
  parseManifest(manifest);
  writeFileSync(join(options.outDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);

  const files = listFiles(options.outDir).map((path) => ({
    path,
    bytes: statSync(join(options.outDir, path)).size,
  }));
  return { manifest, files };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

export async function main(): Promise<void> {
  const startedAt = process.hrtime.bigint();
  const { values: args } = parseCli(
    {
      options: {
        out: { type: "string", default: "dist/artifact" },
        "source-version": { type: "string", default: "local" },
        help: { type: "boolean", default: false },
      },
    },
    USAGE,
  );
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const outDir = isAbsolute(args.out) ? args.out : join(ROOT, args.out);
  const { manifest, files } = await packageArtifact({ outDir, sourceVersion: args["source-version"] });
  for (const service of manifest.services) {
    if (service.nested) {
      console.log(`${service.name.padEnd(12)} ${service.template}  (nests ${service.nested.join(", ")})`);
      continue;
    }
    const sizes = service.packages.map((key) => {
      const size = files.find((file) => file.path === key)?.bytes ?? 0;
      return `${key.split("/").pop() ?? key} ${kib(size)}`;
    });
    console.log(`${service.name.padEnd(12)} ${service.template}  (${sizes.join(", ")})`);
  }
  const total = files.reduce((sum, file) => sum + file.bytes, 0);
  console.log(
    `Packaged ${manifest.services.length} service(s) for ${Object.keys(manifest.environments).join(", ")} into ${displayPath(outDir)}/ (${files.length} files, ${kib(total)}) in ${seconds(startedAt)}`,
  );
}

if (require.main === module) runMain(main);
