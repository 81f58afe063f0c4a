import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MANIFEST_FILE, parseManifest } from "../../../src/pipeline/deployer/manifest";
import { deployTarget } from "../../../tools/deploy";
import { DirectoryArtifactStore } from "../../../tools/lib/artifacts";
import { type CfnTemplate, loadTemplate } from "../../../tools/lib/cfn-yaml";
import { loadProject, writeConfigurations } from "../../../tools/lib/configurations";
import { bundleServices } from "../../../tools/lib/package";
import { ROOT } from "../../../tools/lib/project";
import { rootConfigurations } from "../../../tools/lib/root-stack";
import { CONFIGS_DIR, packageArtifact } from "../../../tools/package-artifact";
import { pipelineActions } from "../../../tools/pipeline";

/**
 * `sam deploy --config-env <env>`, `npm run deploy -- --env <env>` and the
 * pipeline's Deploy <env> must manage the same stack from the same template
 * and parameters, so the three can be mixed on one environment. Each path is
 * read the way it runs: samconfig.toml as SAM CLI reads it, the deploy CLI's
 * own packaging, and the Bundle stage's artifact as the deployer reads it.
 */
jest.setTimeout(240_000);

const ENVIRONMENTS = ["dev", "staging", "prod"];
const project = loadProject();

interface PathTarget {
  stackName: string;
  parameters: Record<string, string>;
  /** The root template with each nested Location replaced by the service it nests. */
  template: string;
}

/** The `[<env>.deploy.parameters]` table of samconfig.toml: string values only, as the generator writes them. */
function samconfigTable(text: string, environment: string): Record<string, string> {
  const lines = text.split("\n");
  const start = lines.indexOf(`[${environment}.deploy.parameters]`);
  if (start < 0) throw new Error(`samconfig.toml has no [${environment}.deploy.parameters]`);
  const table: Record<string, string> = {};
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith("[")) break;
    const match = /^(\w+) = "((?:[^"\\]|\\.)*)"$/.exec(line);
    if (match?.[1] && match[2] !== undefined) table[match[1]] = match[2].replaceAll('\\"', '"');
  }
  return table;
}

/** SAM's `Key="value" Key2="value 2"` form. */
function keyValuePairs(text: string): Record<string, string> {
  return Object.fromEntries([...text.matchAll(/(\w+)="([^"]*)"/g)].map((match) => [match[1], match[2]]));
}

/** Nested Locations differ by where each path uploads; what they nest must not. */
function normalizedRoot(template: CfnTemplate, serviceOfLocation: (location: string) => string): string {
  const copy = structuredClone(template);
  for (const resource of Object.values(copy.Resources)) {
    if (resource.Type !== "AWS::Serverless::Application") continue;
    const location = String(resource.Properties?.Location);
    resource.Properties = { ...resource.Properties, Location: serviceOfLocation(location) };
  }
  return JSON.stringify(copy);
}

/** `.../packages/auth/template-<hash>.json` or `src/auth/template.yaml` -> auth */
function serviceInPath(location: string): string {
  const match = /(?:packages|src|meridian\/[a-z]+)\/([a-z0-9-]+)\/template/.exec(location);
  if (!match?.[1]) throw new Error(`no service in Location ${location}`);
  return match[1];
}

let workDir: string;
const samPath = new Map<string, PathTarget>();
const deployPath = new Map<string, PathTarget>();
const pipelinePath = new Map<string, PathTarget>();

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "meridian-one-model-"));
  const rootTemplate = loadTemplate(join(ROOT, "template.yaml"));
  const samconfig = readFileSync(join(ROOT, "samconfig.toml"), "utf8");

  const deployStore = new DirectoryArtifactStore(join(workDir, "deploy"));
  const artifactDir = join(workDir, "artifact");
  // The four paths package the same sources: esbuild runs once (about a second of CPU for every
  // function), each path zips, uploads and templates on its own. What this file compares (stack
  // names, parameters, root templates with the nested Locations normalised) does not depend on it.
  const buildDir = join(workDir, "build");
  const bundles = await bundleServices(project.services, buildDir);
  writeConfigurations(rootConfigurations(project), join(artifactDir, CONFIGS_DIR));
  await packageArtifact({ outDir: artifactDir, sourceVersion: "test", buildDir, bundles });
  const manifest = parseManifest(JSON.parse(readFileSync(join(artifactDir, MANIFEST_FILE), "utf8")));

  for (const name of ENVIRONMENTS) {
    const environment = project.environments.get(name);
    if (!environment) throw new Error(`environments.yaml has no ${name}`);

    const table = samconfigTable(samconfig, name);
    // No template_file: SAM CLI deploys template.yaml (or what `sam build` made of it).
    expect(table.template_file).toBeUndefined();
    samPath.set(name, {
      stackName: table.stack_name ?? "",
      parameters: keyValuePairs(table.parameter_overrides ?? ""),
      template: normalizedRoot(rootTemplate, serviceInPath),
    });

    const target = await deployTarget(project, environment, {
      store: deployStore,
      buildDir,
      bundles,
      prefix: `meridian/${name}`,
    });
    const deployedKey = (target.templateURL ?? "").split(".amazonaws.com/")[1] ?? "";
    const deployed = JSON.parse(readFileSync(join(workDir, "deploy", deployedKey), "utf8")) as CfnTemplate;
    deployPath.set(name, {
      stackName: target.stackName,
      parameters: target.parameters ?? {},
      template: normalizedRoot(deployed, serviceInPath),
    });

    const [stack] = manifest.environments[name] ?? [];
    const rootEntry = manifest.services.find((service) => service.name === stack?.service);
    if (!stack || !rootEntry) throw new Error(`the artifact has no stack for ${name}`);
    const configuration = JSON.parse(readFileSync(join(artifactDir, stack.configuration), "utf8")) as {
      Parameters: Record<string, string>;
    };
    const packagedRoot = JSON.parse(
      readFileSync(join(artifactDir, rootEntry.template), "utf8"),
    ) as CfnTemplate;
    pipelinePath.set(name, {
      stackName: stack.stackName,
      parameters: configuration.Parameters,
      template: normalizedRoot(packagedRoot, serviceInPath),
    });
  }
});

afterAll(() => rmSync(workDir, { recursive: true, force: true }));

test("the pipeline deploys exactly dev, staging and prod", () => {
  const deployed = pipelineActions()
    .filter((action) => action.category === "Invoke" && action.name.startsWith("Deploy"))
    .map(
      (action) =>
        (JSON.parse(String(action.configuration.UserParameters)) as { environment: string }).environment,
    );
  expect([...new Set(deployed)].sort()).toEqual([...ENVIRONMENTS].sort());
});

test.each(ENVIRONMENTS)("%s: one stack meridian-<env> on all three paths", (environment) => {
  const expected = `meridian-${environment}`;
  expect(samPath.get(environment)?.stackName).toBe(expected);
  expect(deployPath.get(environment)?.stackName).toBe(expected);
  expect(pipelinePath.get(environment)?.stackName).toBe(expected);
});

test.each(ENVIRONMENTS)("%s: the same parameter values on all three paths", (environment) => {
  const sam = samPath.get(environment)?.parameters;
  expect(sam?.Environment).toBe(environment);
  expect(deployPath.get(environment)?.parameters).toEqual(sam);
  expect(pipelinePath.get(environment)?.parameters).toEqual(sam);
});

test.each(
  ENVIRONMENTS,
)("%s: the same root template, nesting the same services, on all three paths", (environment) => {
  const sam = samPath.get(environment)?.template;
  expect(sam).toContain("AWS::Serverless::Application");
  expect(deployPath.get(environment)?.template).toBe(sam);
  expect(pipelinePath.get(environment)?.template).toBe(sam);
});
