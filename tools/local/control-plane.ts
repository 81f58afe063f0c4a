import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { readBody } from "./request-body";
import { type InvokeOutcome, MAX_PAYLOAD_BYTES } from "./runtime";

/**
 * The few Lambda and API Gateway control-plane calls code makes about its own
 * stack (the catalog registrars check their functions and API exist; tools
 * invoke functions), served in their REST-JSON form on the local AWS
 * endpoint through AWS_ENDPOINT_URL_LAMBDA and AWS_ENDPOINT_URL_API_GATEWAY.
 */

export interface LocalFunctionConfiguration {
  FunctionName: string;
  FunctionArn: string;
  Runtime: string;
  Handler: string;
  Timeout: number;
  MemorySize: number;
  Environment: { Variables: Record<string, string> };
}

export interface LocalRestApi {
  id: string;
  name: string;
  createdDate: number;
  /** The one stage the template deploys. */
  stage: string;
}

export interface ControlPlane {
  getFunction(nameOrArn: string): LocalFunctionConfiguration | undefined;
  invoke(nameOrArn: string, event: unknown): Promise<InvokeOutcome> | undefined;
  getRestApi(id: string): LocalRestApi | undefined;
}

const FUNCTION_PATH = /^\/2015-03-31\/functions\/([^/]+)(\/invocations)?\/?$/;
const REST_API_PATH = /^\/restapis\/([^/]+)(?:\/stages\/([^/]+))?\/?$/;

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = body === undefined ? "" : JSON.stringify(body);
  response.writeHead(status, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(payload),
    "x-amzn-RequestId": randomUUID(),
    ...headers,
  });
  response.end(payload);
}

function notFound(response: ServerResponse, type: string, message: string): void {
  sendJson(response, 404, { Type: "User", message }, { "x-amzn-ErrorType": type });
}

/** An Invoke body, bounded by Lambda's own limit on a synchronous request. */
async function readJson(request: IncomingMessage): Promise<unknown> {
  const body = await readBody(request, MAX_PAYLOAD_BYTES);
  if (body === "too-large") throw new PayloadTooLarge();
  const text = body.toString("utf8");
  return text === "" ? {} : JSON.parse(text);
}

class PayloadTooLarge extends Error {}

/** Handles the request when it is one of these calls; false otherwise. */
export async function handleControlPlane(
  request: IncomingMessage,
  response: ServerResponse,
  plane: ControlPlane,
): Promise<boolean> {
  const url = new URL(request.url ?? "/", "http://local");
  const path = url.pathname;
  const fn = FUNCTION_PATH.exec(path);
  if (fn?.[1]) {
    // A qualifier (`name:alias` or ?Qualifier=) names a version; locally there is only $LATEST.
    const name = decodeURIComponent(fn[1]).replace(
      /^(arn:[^:]+:lambda:[^:]+:[^:]+:function:[^:]+):.*$/,
      "$1",
    );
    const configuration = plane.getFunction(name);
    if (!configuration) {
      request.resume();
      notFound(response, "ResourceNotFoundException", `Function not found: ${name}`);
      return true;
    }
    if (!fn[2] && request.method === "GET") {
      sendJson(response, 200, {
        Configuration: {
          ...configuration,
          Version: "$LATEST",
          State: "Active",
          LastUpdateStatus: "Successful",
          PackageType: "Zip",
          LastModified: new Date().toISOString().replace("Z", "+0000"),
        },
        Code: { RepositoryType: "S3", Location: "local" },
      });
      return true;
    }
    if (fn[2] && request.method === "POST") {
      let event: unknown;
      try {
        event = await readJson(request);
      } catch (error) {
        if (error instanceof PayloadTooLarge) {
          sendJson(
            response,
            413,
            {
              Type: "User",
              message: `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
            },
            { "x-amzn-ErrorType": "RequestEntityTooLargeException" },
          );
          return true;
        }
        sendJson(
          response,
          400,
          { Type: "User", message: "Could not parse request body into json" },
          {
            "x-amzn-ErrorType": "InvalidRequestContentException",
          },
        );
        return true;
      }
      const invocationType = String(request.headers["x-amz-invocation-type"] ?? "RequestResponse");
      if (invocationType === "DryRun") {
        sendJson(response, 204, undefined);
        return true;
      }
      const pending = plane.invoke(name, event);
      if (invocationType === "Event") {
        void pending?.catch(() => undefined);
        sendJson(response, 202, undefined);
        return true;
      }
      const outcome = await pending;
      if (!outcome) return false;
      const headers = { "X-Amz-Executed-Version": "$LATEST" };
      if (outcome.ok) sendJson(response, 200, outcome.payload, headers);
      else {
        sendJson(
          response,
          200,
          {
            errorType: outcome.error.errorType,
            errorMessage: outcome.error.errorMessage,
            trace: outcome.error.trace ?? [],
          },
          { ...headers, "X-Amz-Function-Error": "Unhandled" },
        );
      }
      return true;
    }
    return false;
  }
  const api = REST_API_PATH.exec(path);
  if (api?.[1] && request.method === "GET") {
    const found = plane.getRestApi(decodeURIComponent(api[1]));
    if (!found) {
      sendJson(
        response,
        404,
        { message: `Invalid API identifier specified 000000000000:${api[1]}` },
        {
          "x-amzn-ErrorType": "NotFoundException",
        },
      );
      return true;
    }
    const { stage, ...restApi } = found;
    if (api[2] === undefined) {
      sendJson(response, 200, {
        ...restApi,
        apiKeySource: "HEADER",
        endpointConfiguration: { types: ["EDGE"] },
      });
      return true;
    }
    if (decodeURIComponent(api[2]) !== stage) {
      sendJson(
        response,
        404,
        { message: "Invalid stage identifier specified" },
        { "x-amzn-ErrorType": "NotFoundException" },
      );
      return true;
    }
    sendJson(response, 200, {
      stageName: stage,
      deploymentId: "local",
      createdDate: found.createdDate,
      lastUpdatedDate: found.createdDate,
    });
    return true;
  }
  return false;
}
