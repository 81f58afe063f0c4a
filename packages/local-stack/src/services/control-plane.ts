import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { AccessCheck } from "../iam";
import { type InvokeOutcome, MAX_PAYLOAD_BYTES } from "../runtime";

/**
 * The few Lambda and API Gateway control-plane calls code makes about its own
 * stack (the catalog registrars check their functions and API exist; tools
 * invoke functions), served in their REST-JSON form on the local AWS
 * endpoint through AWS_ENDPOINT_URL_LAMBDA and AWS_ENDPOINT_URL_API_GATEWAY.
 * Each is authorized before it is looked up, as IAM does: `lambda:GetFunction`
 * / `lambda:InvokeFunction` on the function's ARN, `apigateway:GET` on
 * `arn:<partition>:apigateway:<region>::/restapis/<id>` (and `/stages/<stage>`).
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

/** Who is calling, as far as these calls care: where ARNs point, and what the caller may do. */
export interface ControlPlaneAccess {
  partition: string;
  region: string;
  accountId: string;
  /** AWS's message when the caller may not, undefined when it may. */
  denied(check: AccessCheck): string | undefined;
}

/** The parts of the request these calls read; its body has been read already (to verify its signature). */
export interface ControlPlaneRequest {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
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

/** An error in the REST-JSON services' shape (Lambda, API Gateway): `x-amzn-ErrorType` names it. */
export function sendRestError(response: ServerResponse, status: number, type: string, message: string): void {
  sendJson(response, status, { message }, { "x-amzn-ErrorType": type });
}

/** Lambda and API Gateway answer a call IAM refuses with 403 AccessDeniedException. */
function accessDenied(response: ServerResponse, message: string): void {
  sendJson(response, 403, { Message: message }, { "x-amzn-ErrorType": "AccessDeniedException" });
}

/** The signing name (credential scope service) of the call, or undefined when it is none of these. */
export function controlPlaneService(
  method: string | undefined,
  rawUrl: string | undefined,
): string | undefined {
  const path = new URL(rawUrl ?? "/", "http://local").pathname;
  if (FUNCTION_PATH.test(path)) return "lambda";
  if (REST_API_PATH.test(path) && method === "GET") return "apigateway";
  return undefined;
}

/**
 * The ARN IAM authorizes a call on a function against: the name as given
 * (a name, a partial `<account>:function:<name>` or a full ARN) made a full
 * ARN, with its qualifier when there is one.
 */
function functionResource(reference: string, qualifier: string | null, access: ControlPlaneAccess): string {
  const prefix = `arn:${access.partition}:lambda:${access.region}`;
  const partial = /^(\d{12}):function:(.+)$/.exec(reference);
  let arn = reference.startsWith("arn:")
    ? reference
    : partial
      ? `${prefix}:${partial[1]}:function:${partial[2]}`
      : `${prefix}:${access.accountId}:function:${reference}`;
  if (qualifier && arn.split(":").length === 7) arn = `${arn}:${qualifier}`;
  return arn;
}

/** Handles the request when it is one of these calls; false otherwise. */
/** Answers a Lambda or API Gateway control-plane call; false when the request is neither. */
export async function handleControlPlane(
  request: ControlPlaneRequest,
  body: Buffer | "too-large",
  response: ServerResponse,
  plane: ControlPlane,
  access: ControlPlaneAccess,
): Promise<boolean> {
  const url = new URL(request.url ?? "/", "http://local");
  const fn = FUNCTION_PATH.exec(url.pathname);
  if (fn?.[1]) {
    const isGet = !fn[2] && request.method === "GET";
    const isInvoke = fn[2] !== undefined && request.method === "POST";
    if (!isGet && !isInvoke) return false;
    const call = { request, body, response, plane, access, url };
    await lambdaCall(call, decodeURIComponent(fn[1]), isGet);
    return true;
  }
  const api = REST_API_PATH.exec(url.pathname);
  if (api?.[1] && request.method === "GET") {
    apiGatewayCall({ request, body, response, plane, access, url }, api[1], api[2]);
    return true;
  }
  return false;
}

interface Call {
  request: ControlPlaneRequest;
  body: Buffer | "too-large";
  response: ServerResponse;
  plane: ControlPlane;
  access: ControlPlaneAccess;
  url: URL;
}

/** GetFunction and Invoke: size, then IAM, then the function (as Lambda checks them). */
async function lambdaCall(call: Call, reference: string, isGet: boolean): Promise<void> {
  const { body, response, plane, access } = call;
  if (body === "too-large") {
    // Bounded by Lambda's own limit on a synchronous request.
    sendJson(
      response,
      413,
      {
        Type: "User",
        message: `Request must be smaller than ${MAX_PAYLOAD_BYTES} bytes for the InvokeFunction operation`,
      },
      { "x-amzn-ErrorType": "RequestEntityTooLargeException" },
    );
    return;
  }
  const denial = access.denied({
    action: isGet ? "lambda:GetFunction" : "lambda:InvokeFunction",
    resource: functionResource(reference, call.url.searchParams.get("Qualifier"), access),
  });
  if (denial !== undefined) return accessDenied(response, denial);
  // A qualifier (`name:alias` or ?Qualifier=) names a version; locally there is only $LATEST.
  const name = reference.replace(/^(arn:[^:]+:lambda:[^:]+:[^:]+:function:[^:]+):.*$/, "$1");
  const configuration = plane.getFunction(name);
  if (!configuration) return notFound(response, "ResourceNotFoundException", `Function not found: ${name}`);
  if (!isGet) return invokeFunction(call, body, name);
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
}

async function invokeFunction(call: Call, body: Buffer, name: string): Promise<void> {
  const { response } = call;
  let event: unknown;
  try {
    const text = body.toString("utf8");
    event = text === "" ? {} : JSON.parse(text);
  } catch {
    sendJson(
      response,
      400,
      { Type: "User", message: "Could not parse request body into json" },
      { "x-amzn-ErrorType": "InvalidRequestContentException" },
    );
    return;
  }
  const invocationType = String(call.request.headers["x-amz-invocation-type"] ?? "RequestResponse");
  if (invocationType === "DryRun") return sendJson(response, 204, undefined);
  const pending = call.plane.invoke(name, event);
  if (invocationType === "Event") {
    void pending?.catch(() => undefined);
    return sendJson(response, 202, undefined);
  }
  const outcome = await pending;
  if (!outcome) return notFound(response, "ResourceNotFoundException", `Function not found: ${name}`);
  const headers = { "X-Amz-Executed-Version": "$LATEST" };
  if (outcome.ok) return sendJson(response, 200, outcome.payload, headers);
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

/** GetRestApi and GetStage. */
function apiGatewayCall(call: Call, rawId: string, rawStage: string | undefined): void {
  const [status, body, headers] = apiGatewayAnswer(call, rawId, rawStage);
  sendJson(call.response, status, body, headers);
}

type Answer = [status: number, body: unknown, headers?: Record<string, string>];

function apiGatewayAnswer(call: Call, rawId: string, rawStage: string | undefined): Answer {
  const { access } = call;
  const notFound = (message: string): Answer => [
    404,
    { message },
    { "x-amzn-ErrorType": "NotFoundException" },
  ];
  if (call.body === "too-large") {
    return [
      413,
      { message: "Request is too large" },
      { "x-amzn-ErrorType": "RequestEntityTooLargeException" },
    ];
  }
  const id = decodeURIComponent(rawId);
  const restApiArn = `arn:${access.partition}:apigateway:${access.region}::/restapis/${id}`;
  const denial = access.denied({
    action: "apigateway:GET",
    resource: rawStage === undefined ? restApiArn : `${restApiArn}/stages/${decodeURIComponent(rawStage)}`,
  });
  if (denial !== undefined)
    return [403, { Message: denial }, { "x-amzn-ErrorType": "AccessDeniedException" }];
  const found = call.plane.getRestApi(id);
  if (!found) return notFound(`Invalid API identifier specified 000000000000:${rawId}`);
  const { stage, ...restApi } = found;
  if (rawStage === undefined) {
    return [200, { ...restApi, apiKeySource: "HEADER", endpointConfiguration: { types: ["EDGE"] } }];
  }
  if (decodeURIComponent(rawStage) !== stage) return notFound("Invalid stage identifier specified");
  return [
    200,
    {
      stageName: stage,
      deploymentId: "local",
      createdDate: found.createdDate,
      lastUpdatedDate: found.createdDate,
    },
  ];
}
