import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ArtifactStore, StoredArtifact } from "../../../../tools/lib/artifacts";
import type { CfnTemplate } from "../../../../tools/lib/cfn-yaml";
import { packageService } from "../../../../tools/lib/package";
import { loadServices, type Service } from "../../../../tools/lib/project";

class MemoryStore implements ArtifactStore {
  readonly objects = new Map<string, Buffer>();
  async put(key: string, body: Buffer): Promise<StoredArtifact> {
    this.objects.set(key, body);
    return { bucket: "artifacts", key, url: `https://artifacts.s3.us-east-1.amazonaws.com/${key}` };
  }
}

/** A template the fixture service nests twice, holding a function and nesting another template. */
const inner: CfnTemplate = { Resources: { Topic: { Type: "AWS::SNS::Topic", Properties: {} } } };
const worker: CfnTemplate = {
  Transform: "AWS::Serverless-2016-10-31",
  Resources: {
    WorkerFunction: {
      Type: "AWS::Serverless::Function",
      Metadata: {
        BuildMethod: "esbuild",
        BuildProperties: { EntryPoints: ["tests/fixtures/project/packaging/src/hello/hello.ts"] },
      },
      Properties: { Handler: "hello.handler", CodeUri: "../../../" },
    },
    Inner: { Type: "AWS::Serverless::Application", Properties: { Location: "inner.yaml" } },
  },
};

describe("packageService with nested templates (what sam package does to a local Location)", () => {
  const [fixture] = loadServices(
    join(__dirname, "..", "..", "..", "fixtures", "project", "packaging", "src"),
  );
  if (!fixture) throw new Error("fixture service missing");
  const hello: Service = structuredClone(fixture);
  hello.template.Resources.Worker = {
    Type: "AWS::Serverless::Application",
    Properties: { Location: "../shared/worker.yaml" },
  };
  hello.applications = {
    Worker: {
      templatePath: "/repo/src/shared/worker.yaml",
      template: worker,
      applications: { Inner: { templatePath: "/repo/src/shared/inner.yaml", template: inner } },
    },
  };
  let buildDir: string;
  beforeEach(() => {
    buildDir = mkdtempSync(join(tmpdir(), "meridian-package-nested-"));
  });
  afterEach(() => rmSync(buildDir, { recursive: true, force: true }));

  test("bundles the nested functions with the service's, uploads each nested template and points Location at it", async () => {
    const store = new MemoryStore();
    const packaged = await packageService(hello, { store, buildDir, prefix: "meridian/dev" });
    expect(packaged.functions.map((fn) => fn.logicalId).sort()).toEqual(["HelloFunction", "WorkerFunction"]);
    const [innerKey, workerKey] = packaged.nestedTemplates.map((artifact) => artifact.key);
    expect(innerKey).toMatch(/^meridian\/dev\/hello\/inner-[0-9a-f]{16}\.json$/);
    expect(workerKey).toMatch(/^meridian\/dev\/hello\/worker-[0-9a-f]{16}\.json$/);
    expect(packaged.template.Resources.Worker?.Properties?.Location).toBe(
      `https://artifacts.s3.us-east-1.amazonaws.com/${workerKey}`,
    );
    const uploaded = JSON.parse(store.objects.get(workerKey ?? "")?.toString() ?? "{}") as CfnTemplate;
    const code = packaged.functions.find((fn) => fn.logicalId === "WorkerFunction")?.artifact.key;
    expect(uploaded.Resources.WorkerFunction?.Properties?.CodeUri).toEqual({
      Bucket: "artifacts",
      Key: code,
    });
    expect(uploaded.Resources.Inner?.Properties?.Location).toBe(
      `https://artifacts.s3.us-east-1.amazonaws.com/${innerKey}`,
    );
  });
});
