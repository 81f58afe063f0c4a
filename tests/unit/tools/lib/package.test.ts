import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { inflateRawSync } from "node:zlib";
import { type ArtifactStore, S3ArtifactStore, type StoredArtifact } from "../../../../tools/lib/artifacts";
import type { CfnTemplate } from "../../../../tools/lib/cfn-yaml";
import { packagedTemplate, packageService } from "../../../../tools/lib/package";
import { loadServices } from "../../../../tools/lib/project";
import { crc32, createZip } from "../../../../tools/lib/zip";

/** Reads back a zip through its central directory, checking each entry's CRC. */
function unzip(zip: Buffer): Map<string, Buffer> {
  const end = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const crc = zip.readUInt32LE(at + 16);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const offset = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    const localNameLength = zip.readUInt16LE(offset + 26);
    const start = offset + 30 + localNameLength + zip.readUInt16LE(offset + 28);
    const data = inflateRawSync(zip.subarray(start, start + size));
    expect(crc32(data)).toBe(crc);
    files.set(name, data);
    at += 46 + nameLength;
  }
  return files;
}

class MemoryStore implements ArtifactStore {
  readonly objects = new Map<string, Buffer>();
  async put(key: string, body: Buffer): Promise<StoredArtifact> {
    this.objects.set(key, body);
    return { bucket: "artifacts", key, url: `https://artifacts.s3.us-east-1.amazonaws.com/${key}` };
  }
}

describe("zip", () => {
  test("round-trips and is byte-for-byte reproducible", () => {
    const entries = [
      { name: "b.js.map", data: Buffer.from('{"version":3}') },
      { name: "b.js", data: Buffer.from("exports.handler = async () => 1;\n".repeat(50)) },
    ];
    const zip = createZip(entries);
    expect(createZip([...entries].reverse()).equals(zip)).toBe(true);
    const files = unzip(zip);
    expect([...files.keys()]).toEqual(["b.js", "b.js.map"]);
    expect(files.get("b.js")?.toString()).toBe(entries[1]?.data.toString());
  });

  test("crc32 matches the standard check value", () => {
    expect(crc32(Buffer.from("123456789")).toString(16)).toBe("cbf43926");
  });
});

describe("packagedTemplate (what sam package does to a template)", () => {
  const template: CfnTemplate = {
    Transform: "AWS::Serverless-2016-10-31",
    Globals: { Function: { Runtime: "nodejs22.x", CodeUri: "../../" } },
    Resources: {
      Fn: {
        Type: "AWS::Serverless::Function",
        Metadata: { BuildMethod: "esbuild", BuildProperties: { EntryPoints: ["x.ts"] } },
        Properties: { Handler: "x.handler" },
      },
      Table: { Type: "AWS::DynamoDB::Table", DeletionPolicy: "Retain", Properties: {} },
    },
  };

  test("points CodeUri at S3, drops esbuild Metadata and the local Globals CodeUri, leaves the rest", () => {
    const packaged = packagedTemplate(template, new Map([["Fn", { Bucket: "artifacts", Key: "k/fn.zip" }]]));
    expect(packaged.Resources.Fn).toEqual({
      Type: "AWS::Serverless::Function",
      Properties: { Handler: "x.handler", CodeUri: { Bucket: "artifacts", Key: "k/fn.zip" } },
    });
    expect(packaged.Globals).toEqual({ Function: { Runtime: "nodejs22.x" } });
    expect(packaged.Resources.Table).toEqual(template.Resources.Table);
    // The input is not modified: the local stack reads the same parsed template.
    expect(template.Resources.Fn?.Metadata).toBeDefined();
    expect(template.Globals?.Function?.CodeUri).toBe("../../");
  });

  test("refuses a function without packaged code and local paths it does not package", () => {
    expect(() => packagedTemplate(template, new Map())).toThrow(
      "template.yaml: Fn: no packaged code for this function",
    );
    const withLayer: CfnTemplate = {
      Resources: {
        Layer: { Type: "AWS::Serverless::LayerVersion", Properties: { ContentUri: "layers/common" } },
      },
    };
    expect(() => packagedTemplate(withLayer, new Map())).toThrow(
      "template.yaml: Layer.Properties.ContentUri: local paths are not packaged by tools/deploy",
    );
  });
});

describe("packageService", () => {
  const [hello] = loadServices(join(__dirname, "..", "..", "..", "fixtures", "project", "packaging", "src"));
  if (!hello) throw new Error("fixture service missing");
  let buildDir: string;
  beforeEach(() => {
    buildDir = mkdtempSync(join(tmpdir(), "meridian-package-"));
  });
  afterEach(() => rmSync(buildDir, { recursive: true, force: true }));

  test("bundles, zips and uploads each function, then the packaged template", async () => {
    const store = new MemoryStore();
    const packaged = await packageService(hello, { store, buildDir, prefix: "meridian/dev" });
    const keys = [...store.objects.keys()];
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(/^meridian\/dev\/hello\/HelloFunction-[0-9a-f]{16}\.zip$/);
    expect(keys[1]).toMatch(/^meridian\/dev\/hello\/template-[0-9a-f]{16}\.json$/);
    expect(packaged.templateArtifact.key).toBe(keys[1]);

    const files = unzip(store.objects.get(keys[0] ?? "") ?? Buffer.alloc(0));
    expect([...files.keys()]).toEqual(["hello.js", "hello.js.map"]);
    // The bundle is self-contained and its handler works as Lambda would call it.
    const module = { exports: {} as { handler?: () => Promise<unknown> } };
    runInNewContext(files.get("hello.js")?.toString() ?? "", { module, exports: module.exports, require });
    await expect(module.exports.handler?.()).resolves.toEqual({ statusCode: 200, body: "hello, world" });

    const uploaded = JSON.parse(store.objects.get(keys[1] ?? "")?.toString() ?? "{}") as CfnTemplate;
    expect(uploaded.Resources.HelloFunction).toEqual({
      Type: "AWS::Serverless::Function",
      Metadata: { Owner: "packaging-test" },
      Properties: { Handler: "hello.handler", CodeUri: { Bucket: "artifacts", Key: keys[0] } },
    });
    expect(uploaded.Resources.Topic?.Properties?.DisplayName).toEqual({ "Fn::Sub": `hello-\${Environment}` });
    expect(uploaded.Globals).toEqual({ Function: { Runtime: "nodejs22.x" } });
  });

  test("a rebuild of unchanged code gives the same keys, so an unchanged service deploys as a no-op", async () => {
    const first = new MemoryStore();
    const second = new MemoryStore();
    await packageService(hello, { store: first, buildDir, prefix: "p" });
    rmSync(buildDir, { recursive: true, force: true });
    await packageService(hello, { store: second, buildDir, prefix: "p" });
    expect([...second.objects.keys()]).toEqual([...first.objects.keys()]);
  });
});

describe("S3ArtifactStore", () => {
  const credentials = async () => ({ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" });

  test("PUTs the object with a SigV4 signature and the payload hash", async () => {
    const requests: Array<{ url: string; init: RequestInit }> = [];
    const fetch = (async (url: URL, init: RequestInit) => {
      requests.push({ url: url.toString(), init });
      return new Response("", { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const store = new S3ArtifactStore({ bucket: "artifacts", region: "eu-west-1", credentials, fetch });
    const stored = await store.put(
      "meridian/dev/auth/template-1.json",
      Buffer.from("{}"),
      "application/json",
    );
    expect(stored).toEqual({
      bucket: "artifacts",
      key: "meridian/dev/auth/template-1.json",
      url: "https://artifacts.s3.eu-west-1.amazonaws.com/meridian/dev/auth/template-1.json",
    });
    const headers = requests[0]?.init.headers as Record<string, string>;
    expect(requests[0]?.init.method).toBe("PUT");
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=.*x-amz-content-sha256/,
    );
    // sha256("{}")
    expect(headers["x-amz-content-sha256"]).toBe(
      "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
    );
  });

  test("an S3 error names the object, the code and the message", async () => {
    const fetch = (async () =>
      new Response("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>", {
        status: 403,
      })) as unknown as typeof globalThis.fetch;
    const store = new S3ArtifactStore({ bucket: "artifacts", region: "us-east-1", credentials, fetch });
    await expect(store.put("k.zip", Buffer.from("x"), "application/zip")).rejects.toThrow(
      "S3 PutObject s3://artifacts/k.zip failed: 403 AccessDenied Access Denied",
    );
  });
});
