import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Answers every AWS call the functions make during the benchmark, from
 * fixed data, so a cold start measures the function and not a store. One
 * port serves them all: JSON-protocol services by their X-Amz-Target, REST
 * ones (Lambda, API Gateway) and the services' own APIs by path.
 */
export interface StubData {
  /** The items in each table, by table name; GetItem finds one by its key attributes. */
  items: Record<string, Array<Record<string, unknown>>>;
  /** SecretString of every secret's AWSCURRENT version (there is no AWSPREVIOUS). */
  secret: string;
  /** Value of every SSM parameter. */
  parameter: string;
  /** Body of `GET <base>/locations/{id}`. */
  location: Record<string, unknown>;
}

export interface AwsStub {
  url: string;
  /** Requests answered so far, by operation, for checking that a run made the calls it should. */
  calls: Map<string, number>;
  close(): Promise<void>;
}

/** `body` is sent as JSON, unless `raw` (with its content type) is given. */
type Reply = { status: number; body?: unknown; raw?: { text: string; type: string } };

function toAttributeValue(value: unknown): unknown {
  if (typeof value === "string") return { S: value };
  if (typeof value === "number") return { N: String(value) };
  if (typeof value === "boolean") return { BOOL: value };
  if (value === null) return { NULL: true };
  return { S: JSON.stringify(value) };
}

function marshal(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([key, value]) => [key, toAttributeValue(value)]));
}

function attributeText(value: unknown): string {
  const attribute = value as Record<string, unknown>;
  return String(attribute.S ?? attribute.N ?? "");
}

function findItem(data: StubData, input: Record<string, unknown>): Record<string, unknown> | undefined {
  const key = Object.entries((input.Key ?? {}) as Record<string, unknown>);
  return data.items[String(input.TableName)]?.find((item) =>
    key.every(([name, value]) => String(item[name]) === attributeText(value)),
  );
}

function batchGet(data: StubData, input: Record<string, unknown>): Record<string, unknown[]> {
  const requests = (input.RequestItems ?? {}) as Record<string, { Keys?: Array<Record<string, unknown>> }>;
  return Object.fromEntries(
    Object.entries(requests).map(([table, { Keys = [] }]) => [
      table,
      Keys.flatMap((Key) => {
        const item = findItem(data, { TableName: table, Key });
        return item ? [marshal(item)] : [];
      }),
    ]),
  );
}

function jsonTarget(target: string, input: Record<string, unknown>, data: StubData, url: string): Reply {
  const operation = target.slice(target.indexOf(".") + 1);
  switch (operation) {
    case "GetItem": {
      const item = findItem(data, input);
      return { status: 200, body: item ? { Item: marshal(item) } : {} };
    }
    case "DeleteItem": {
      const item = findItem(data, input);
      return {
        status: 200,
        body: item && input.ReturnValues === "ALL_OLD" ? { Attributes: marshal(item) } : {},
      };
    }
    case "BatchGetItem":
      return { status: 200, body: { Responses: batchGet(data, input), UnprocessedKeys: {} } };
    case "PutItem":
    case "UpdateItem":
      return { status: 200, body: {} };
    // The deployment's one target is the function its id names (see the pre-traffic scenario).
    case "ListDeploymentTargets":
      return { status: 200, body: { targetIds: [String(input.deploymentId)] } };
    case "BatchGetDeploymentTargets":
      return { status: 200, body: { deploymentTargets: [deploymentTarget(input)] } };
    case "PutLifecycleEventHookExecutionStatus":
      return { status: 200, body: { lifecycleEventHookExecutionId: input.lifecycleEventHookExecutionId } };
    case "GetParameter": {
      const name = String(input.Name);
      return {
        status: 200,
        body: { Parameter: { Name: name, Type: "String", Value: data.parameter, Version: 1 } },
      };
    }
    case "GetSecretValue":
      if (input.VersionStage === "AWSPREVIOUS") {
        return {
          status: 400,
          body: { __type: "ResourceNotFoundException", message: "no AWSPREVIOUS version" },
        };
      }
      return {
        status: 200,
        body: {
          ARN: String(input.SecretId),
          Name: "bench-secret",
          SecretString: data.secret,
          VersionId: "v1",
          VersionStages: ["AWSCURRENT"],
        },
      };
    default:
      return { status: 400, body: { __type: "UnknownOperationException", message: `${target} at ${url}` } };
  }
}

function deploymentTarget(input: Record<string, unknown>): unknown {
  const functionName = String((input.targetIds as unknown[] | undefined)?.[0]);
  return {
    deploymentTargetType: "LambdaTarget",
    lambdaTarget: { lambdaFunctionInfo: { functionName, targetVersion: "2" } },
  };
}

const INVALIDATION_XML = `<?xml version="1.0" encoding="UTF-8"?>
<Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Id>IBENCH</Id><Status>InProgress</Status><CreateTime>2026-01-01T00:00:00Z</CreateTime><InvalidationBatch><Paths><Quantity>1</Quantity><Items><Path>/*</Path></Items></Paths><CallerReference>bench</CallerReference></InvalidationBatch></Invalidation>`;

/** Lambda Invoke, S3 PutObject, CloudFront CreateInvalidation and CloudFormation's ResponseURL. */
function deliveryPath(method: string, path: string, text: string): Reply | undefined {
  // A smoke request's answer that every kind of smoke test but the authorizer's judges healthy.
  if (method === "POST" && /^\/2015-03-31\/functions\/[^/]+\/invocations$/.test(path))
    return { status: 200, body: { statusCode: 400, body: "{}" } };
  if (method === "POST" && /^\/2020-05-31\/distribution\/[^/]+\/invalidation$/.test(path))
    return { status: 201, raw: { text: INVALIDATION_XML, type: "text/xml" } };
  if (method === "PUT" && path === RESPONSE_URL_PATH) {
    // A FAILED answer fails the run: the deployer's handler resolves either way.
    const status = (JSON.parse(text) as { Status?: string; Reason?: string }).Status;
    return status === "SUCCESS"
      ? { status: 200, raw: { text: "", type: "text/plain" } }
      : { status: 400, body: text };
  }
  if (method === "PUT" && path.startsWith("/bench-"))
    return { status: 200, raw: { text: "", type: "text/plain" } };
  return undefined;
}

/** Where the site deployer's scenario points its CloudFormation ResponseURL. */
export const RESPONSE_URL_PATH = "/cloudformation-response";

function restPath(method: string, path: string, data: StubData, baseUrl: string): Reply | undefined {
  if (method === "GET" && path.startsWith("/2015-03-31/functions/")) {
    const name = decodeURIComponent(path.split("/")[3] ?? "");
    return { status: 200, body: { Configuration: { FunctionName: name, State: "Active" } } };
  }
  const stage = /^\/restapis\/([^/]+)\/stages\/([^/]+)$/.exec(path);
  if (method === "GET" && stage) return { status: 200, body: { stageName: stage[2] } };
  const api = /^\/restapis\/([^/]+)$/.exec(path);
  if (method === "GET" && api) return { status: 200, body: { id: api[1], name: "bench" } };
  if (method === "GET" && /^\/dev\/locations\/[^/]+$/.test(path)) return { status: 200, body: data.location };
  if (method === "GET" && /^\/dev\/catalog\/[^/]+\/[^/]+$/.test(path)) {
    return { status: 200, body: { endpoint_url: `${baseUrl}/dev`, ttl: 300, status: "healthy" } };
  }
  if (method === "POST" && path === "/dev/catalog/register") return { status: 201, body: {} };
  if (method === "POST" && path === "/dev/catalog/deregister") return { status: 200, body: {} };
  return undefined;
}

function operationName(request: IncomingMessage, path: string): string {
  const target = request.headers["x-amz-target"];
  return typeof target === "string" ? target : `${request.method} ${path.replace(/\/[^/]*$/, "/*")}`;
}

export async function startAwsStub(data: StubData): Promise<AwsStub> {
  const calls = new Map<string, number>();
  let url = "";
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = new URL(request.url ?? "/", url).pathname;
      const name = operationName(request, path);
      calls.set(name, (calls.get(name) ?? 0) + 1);
      const text = Buffer.concat(chunks).toString("utf8");
      const target = request.headers["x-amz-target"];
      const reply =
        typeof target === "string"
          ? jsonTarget(target, text === "" ? {} : (JSON.parse(text) as Record<string, unknown>), data, url)
          : (restPath(request.method ?? "GET", path, data, url) ??
            deliveryPath(request.method ?? "GET", path, text) ?? { status: 404, body: { message: path } });
      const body = reply.raw?.text ?? JSON.stringify(reply.body);
      const json = typeof target === "string" ? "application/x-amz-json-1.1" : "application/json";
      response.writeHead(reply.status, {
        "content-type": reply.raw?.type ?? json,
        ...(path.startsWith("/bench-") ? { etag: '"bench"' } : {}),
        "content-length": Buffer.byteLength(body),
        "x-amzn-requestid": "bench",
      });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
