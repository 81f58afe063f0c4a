import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { sendResponse } from "../../../src/web/adapters/custom-resource";
import { S3SiteStore } from "../../../src/web/adapters/s3-site-store";
import type { Cdn, SiteFile, SiteStore } from "../../../src/web/domain/ports";
import { createSitePublisher, type SiteBundle } from "../../../src/web/domain/site";
import { createPublishSiteHandler } from "../../../src/web/handlers/publish-site";
import { captureOutput, testObservability } from "../../support/handler-test";

const { logger } = testObservability("web");
captureOutput();

/** CloudFormation's side of the protocol: the pre-signed URL the answer is PUT to. */
let server: Server;
let responseUrl: string;
const answers: Array<{ method: string; contentType: string | undefined; body: Record<string, unknown> }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => {
      body += chunk;
    });
    request.on("end", () => {
      answers.push({
        method: String(request.method),
        contentType: request.headers["content-type"],
        body: JSON.parse(body),
      });
      response.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response?X-Amz-Signature=x`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  answers.length = 0;
});

function event(requestType: "Create" | "Update" | "Delete", properties: Record<string, string>) {
  const common = {
    ServiceToken: "arn:aws:lambda:us-east-1:000000000000:function:deployer",
    ResponseURL: responseUrl,
    StackId: "arn:aws:cloudformation:us-east-1:000000000000:stack/meridian-dev-web/1",
    RequestId: "request-1",
    LogicalResourceId: "SiteContent",
    ResourceType: "Custom::SiteContent",
    ResourceProperties: { ServiceToken: "arn", ...properties },
  };
  if (requestType === "Create")
    return { ...common, RequestType: "Create" } as CloudFormationCustomResourceEvent;
  return {
    ...common,
    RequestType: requestType,
    PhysicalResourceId: "bucket-1/site",
    OldResourceProperties: {},
  } as CloudFormationCustomResourceEvent;
}

const site: SiteBundle = {
  version: "v1",
  files: [
    {
      key: "index.html",
      contentType: "text/html",
      cacheControl: "no-cache",
      gzippedBody: gzipSync("<html>").toString("base64"),
    },
    {
      key: "assets/app-1.js",
      contentType: "text/javascript",
      cacheControl: "immutable",
      gzippedBody: gzipSync("code").toString("base64"),
    },
  ],
};

function fakes(failPut = false) {
  const puts: Array<{ bucket: string; key: string }> = [];
  const invalidations: Array<{ distributionId: string; paths: string[] }> = [];
  const store: SiteStore = {
    async put(bucket: string, file: SiteFile) {
      if (failPut) throw new Error("Access Denied");
      puts.push({ bucket, key: file.key });
    },
  };
  const cdn: Cdn = {
    async invalidate(distributionId, paths) {
      invalidations.push({ distributionId, paths });
      return "I123";
    },
  };
  return { puts, invalidations, store, cdn };
}

const properties = { BucketName: "bucket-1", DistributionId: "E123", SiteVersion: "arn:...:3" };

test("Create puts every file, the page last, invalidates the distribution and answers SUCCESS", async () => {
  const { puts, invalidations, store, cdn } = fakes();
  await createPublishSiteHandler({
    publisher: createSitePublisher({ site, store, cdn }),
    send: sendResponse,
    logger,
  })(event("Create", properties));
  expect(puts).toEqual([
    { bucket: "bucket-1", key: "assets/app-1.js" },
    { bucket: "bucket-1", key: "index.html" },
  ]);
  expect(invalidations).toEqual([{ distributionId: "E123", paths: ["/*"] }]);
  expect(answers).toEqual([
    {
      method: "PUT",
      contentType: "",
      body: {
        Status: "SUCCESS",
        Reason: "",
        PhysicalResourceId: "bucket-1/site",
        StackId: "arn:aws:cloudformation:us-east-1:000000000000:stack/meridian-dev-web/1",
        RequestId: "request-1",
        LogicalResourceId: "SiteContent",
        Data: { Version: "v1", InvalidationId: "I123" },
      },
    },
  ]);
});

test("Update publishes again; Delete leaves the (retained) bucket alone", async () => {
  const update = fakes();
  await createPublishSiteHandler({
    publisher: createSitePublisher({ site, store: update.store, cdn: update.cdn }),
    send: sendResponse,
    logger,
  })(event("Update", properties));
  expect(update.puts).toHaveLength(2);
  const removal = fakes();
  await createPublishSiteHandler({
    publisher: createSitePublisher({ site, store: removal.store, cdn: removal.cdn }),
    send: sendResponse,
    logger,
  })(event("Delete", properties));
  expect(removal.puts).toEqual([]);
  expect(removal.invalidations).toEqual([]);
  expect(answers.map((answer) => [answer.body.Status, answer.body.PhysicalResourceId])).toEqual([
    ["SUCCESS", "bucket-1/site"],
    ["SUCCESS", "bucket-1/site"],
  ]);
});

test("a failure is answered FAILED with its reason, so the stack rolls back instead of hanging", async () => {
  const { store, cdn } = fakes(true);
  await createPublishSiteHandler({
    publisher: createSitePublisher({ site, store, cdn }),
    send: sendResponse,
    logger,
  })(event("Create", properties));
  expect(answers[0]?.body).toMatchObject({
    Status: "FAILED",
    Reason: "Access Denied",
    PhysicalResourceId: "SiteContent-failed",
  });
  await createPublishSiteHandler({
    publisher: createSitePublisher({ site, store, cdn }),
    send: sendResponse,
    logger,
  })(event("Create", { DistributionId: "E123" }));
  expect(answers[1]?.body).toMatchObject({
    Status: "FAILED",
    Reason: "Property BucketName must be a non-empty string",
  });
});

test("the bundled site is the one npm run build:web writes: an index.html and the hashed assets it names", async () => {
  const bundled = JSON.parse(
    readFileSync(join(__dirname, "..", "..", "..", "dist", "web", "site-assets.json"), "utf8"),
  ) as SiteBundle;
  const page = bundled.files.find((file) => file.key === "index.html");
  const html = gunzipSync(Buffer.from(String(page?.gzippedBody), "base64")).toString("utf8");
  for (const asset of bundled.files.filter((file) => file.key.startsWith("assets/"))) {
    expect(asset.cacheControl).toBe("public, max-age=31536000, immutable");
    if (!asset.key.includes("world-")) expect(html).toContain(`/${asset.key}`);
  }
  expect(page?.cacheControl).toBe("no-cache");
  expect(html).not.toMatch(/<script>|style=/);
});

test("the S3 store puts each file's own bytes, uncompressed, with its type and caching", async () => {
  const s3 = mockClient(S3Client);
  s3.on(PutObjectCommand).resolves({});
  const [page] = site.files;
  if (!page) throw new Error("the fixture has a page");
  await new S3SiteStore(s3 as unknown as S3Client).put("bucket-1", page);
  const [put] = s3.commandCalls(PutObjectCommand);
  expect(put?.args[0].input).toEqual({
    Bucket: "bucket-1",
    Key: "index.html",
    Body: Buffer.from("<html>"),
    ContentType: "text/html",
    CacheControl: "no-cache",
  });
});
