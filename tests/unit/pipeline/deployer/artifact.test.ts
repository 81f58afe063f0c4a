import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ArtifactFiles } from "../../../../src/pipeline/deployer/artifact";
import {
  MANIFEST_FILE,
  PACKAGE_BUCKET_PLACEHOLDER,
  parseManifest,
} from "../../../../src/pipeline/deployer/manifest";
import { prepareTarget } from "../../../../src/pipeline/deployer/targets";
import { readZip } from "../../../../src/pipeline/deployer/unzip";
import { loadProject, writeConfigurations } from "../../../../tools/lib/configurations";
import { ROOT_STACK, rootConfigurations } from "../../../../tools/lib/root-stack";
import { createZip } from "../../../../tools/lib/zip";
import { CONFIGS_DIR, packageArtifact } from "../../../../tools/package-artifact";
import { pipelineActions } from "../../../../tools/pipeline";
import { FakePackageStore } from "./fakes";

/**
 * The Bundle stage's output for this repository, read back the way the
 * deployer reads it: what tools/package-artifact.ts writes is what
 * src/pipeline/deployer understands.
 */
jest.setTimeout(120_000);

const project = loadProject();
let outDir: string;
let zipped: ArtifactFiles;

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split("\\").join("/"))
    .sort();
}

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), "meridian-artifact-"));
  writeConfigurations(rootConfigurations(project), join(outDir, CONFIGS_DIR));
  await packageArtifact({ outDir, sourceVersion: "test", buildDir: join(outDir, ".build") });
  rmSync(join(outDir, ".build"), { recursive: true, force: true });
  // As CodeBuild hands it over: one zip of the artifact directory.
  const zip = createZip(listFiles(outDir).map((name) => ({ name, data: readFileSync(join(outDir, name)) })));
  zipped = new ArtifactFiles(readZip(zip));
});

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const deployEnvironments = [
  ...new Set(
    pipelineActions()
      .filter((action) => action.category === "Invoke")
      .map(
        (action) =>
          (JSON.parse(String(action.configuration.UserParameters)) as { environment: string }).environment,
      ),
  ),
];

test("the manifest lists every service in deploy order, the root nesting them, and one stack per deployed environment", () => {
  const manifest = parseManifest(zipped.json(MANIFEST_FILE));
  const names = project.services.map((service) => service.name);

  expect(manifest.services.map((service) => service.name)).toEqual([...names, ROOT_STACK]);
  expect(manifest.services.find((service) => service.name === ROOT_STACK)?.nested).toEqual(names);
  for (const environment of deployEnvironments) {
    expect(manifest.environments[environment]?.map((stack) => stack.stackName)).toEqual([
      `meridian-${environment}`,
    ]);
  }
});

test("every file the manifest names is in the artifact", () => {
  const manifest = parseManifest(zipped.json(MANIFEST_FILE));
  const named = [
    ...manifest.services.flatMap((service) => [service.template, ...service.packages]),
    ...Object.values(manifest.environments).flatMap((stacks) => stacks.map((stack) => stack.configuration)),
  ];

  expect(named.filter((path) => !zipped.has(path))).toEqual([]);
});

interface PreparedTemplate {
  Resources: Record<
    string,
    { Type: string; Properties?: { CodeUri?: unknown; Location?: unknown }; Metadata?: unknown }
  >;
  Globals?: { Function?: { CodeUri?: unknown } };
}

test.each(
  deployEnvironments,
)("the deployer turns it into a complete change set target for %s, nested templates uploaded", async (environment) => {
  const manifest = parseManifest(zipped.json(MANIFEST_FILE));
  const store = new FakePackageStore();
  const [stack, ...others] = manifest.environments[environment] ?? [];
  expect(others).toEqual([]);
  if (!stack) throw new Error(`no stack for ${environment}`);

  const target = await prepareTarget(zipped, manifest, stack, store, {
    executionRoleArn: "arn:aws:iam::123456789012:role/exec",
    changeSetName: "pipeline-test",
  });
  const root = JSON.parse(target.templateBody ?? "{}") as PreparedTemplate;
  const nested = Object.entries(root.Resources).filter(
    ([, resource]) => resource.Type === "AWS::Serverless::Application",
  );
  expect(nested).toHaveLength(project.services.length);
  for (const [, application] of nested) {
    const location = String(application.Properties?.Location);
    expect(location.startsWith(`https://${store.bucket}.`)).toBe(true);
    const key = location.split(".amazonaws.com/")[1] ?? "";
    const template = JSON.parse(String(store.uploads.get(key))) as PreparedTemplate;
    const functions = Object.values(template.Resources).filter(
      (resource) => resource.Type === "AWS::Serverless::Function",
    );
    for (const fn of functions) {
      const codeUri = fn.Properties?.CodeUri as { Bucket: string; Key: string };
      expect(codeUri.Bucket).toBe(store.bucket);
      expect(store.uploads.has(codeUri.Key)).toBe(true);
      expect(fn.Metadata).toBeUndefined();
    }
    expect(template.Globals?.Function?.CodeUri).toBeUndefined();
    expect(JSON.stringify(template)).not.toContain(PACKAGE_BUCKET_PLACEHOLDER);
  }
  expect(target.templateBody).not.toContain(PACKAGE_BUCKET_PLACEHOLDER);
  expect(target.stackName).toBe(`meridian-${environment}`);
  expect(target.parameters?.Environment).toBe(environment);
  expect(target.tags).toMatchObject({ Environment: environment, Project: "meridian" });
});

test("each function zip holds its handler module", () => {
  expect.hasAssertions();
  const manifest = parseManifest(zipped.json(MANIFEST_FILE));
  for (const service of manifest.services) {
    for (const key of service.packages) {
      const files = [...readZip(zipped.bytes(key)).keys()];
      expect(files.some((name) => name.endsWith(".js"))).toBe(true);
    }
  }
});

test("packaging the same source again gives the same keys, so unchanged functions deploy as no-ops", async () => {
  const again = mkdtempSync(join(tmpdir(), "meridian-artifact-"));
  try {
    writeConfigurations(rootConfigurations(project), join(again, CONFIGS_DIR));
    const second = await packageArtifact({
      outDir: again,
      sourceVersion: "test",
      buildDir: join(again, ".build"),
    });
    const first = parseManifest(zipped.json(MANIFEST_FILE));
    expect(second.manifest.services).toEqual(first.services);
    expect(statSync(join(again, MANIFEST_FILE)).size).toBeGreaterThan(0);
  } finally {
    rmSync(again, { recursive: true, force: true });
  }
});
