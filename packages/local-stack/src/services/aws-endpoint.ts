import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { LOCAL_HOST, partitionOf } from "../constants";
import { AwsError } from "../errors";
import { AwsAuthenticator, authorize, type CallerLookup, type LocalCaller, receivedRequest } from "../iam";
import { MAX_PAYLOAD_BYTES } from "../runtime";
import { ClientGone, closeServer, type LogSink, listen, readBody, stackLog } from "../support";
import { type AwsScope, createOperations, type Operation } from "./aws-operations";
import {
  type ControlPlane,
  type ControlPlaneAccess,
  controlPlaneService,
  handleControlPlane,
  sendRestError,
} from "./control-plane";
import { SecretStore } from "./secret-store";
import { ParameterStore } from "./ssm-store";

/**
 * One HTTP endpoint speaking the AWS JSON 1.1 protocol for the SSM and
 * Secrets Manager operations the functions use, so the real SDK clients (and
 * Powertools Parameters) reach it through AWS_ENDPOINT_URL_SSM and
 * AWS_ENDPOINT_URL_SECRETS_MANAGER with no code change; Lambda and API
 * Gateway control-plane calls (control-plane.ts) share it.
 *
 * Every call must be signed (SigV4, for the service it calls) with a key the
 * stack issued: the operator's, or a function's with its session token. A
 * function is then held to its role's identity policy: `ssm:<Operation>` on
 * `arn:<partition>:ssm:<region>:<account>:parameter/<name>`, and
 * `secretsmanager:<Operation>` on the secret's ARN. The stack publishes its
 * templates' parameters and secrets in process, not through this endpoint.
 */

export interface AwsEndpoint {
  url: string;
  port: number;
  parameters: ParameterStore;
  secrets: SecretStore;
  /** Serves Lambda GetFunction/Invoke and API Gateway GetRestApi for the deployed stack. */
  attach(plane: ControlPlane): void;
  close(): Promise<void>;
}

export interface AwsEndpointOptions {
  port: number;
  /** Whose signatures are accepted, and whose identity policies apply. */
  callers: CallerLookup;
  /** Where parameters and secrets are persisted; undefined keeps them in memory. */
  dataDir?: string;
  region: string;
  accountId: string;
  log: LogSink;
}

const MAX_REQUEST_BYTES = 1024 * 1024;
const CONTENT_TYPE = "application/x-amz-json-1.1";

interface EndpointContext {
  operations: Map<string, Operation>;
  plane: ControlPlane | undefined;
  authenticator: AwsAuthenticator;
  scope: AwsScope;
  log: LogSink;
}

export async function startAwsEndpoint(options: AwsEndpointOptions): Promise<AwsEndpoint> {
  const parameters = new ParameterStore(
    options.dataDir ? join(options.dataDir, "ssm-parameters.json") : undefined,
  );
  const secrets = new SecretStore(options.dataDir ? join(options.dataDir, "secrets.json") : undefined);
  const scope = {
    partition: partitionOf(options.region),
    region: options.region,
    accountId: options.accountId,
  };
  const context: EndpointContext = {
    operations: createOperations(parameters, secrets, scope),
    plane: undefined,
    authenticator: new AwsAuthenticator(options.callers, options.region),
    scope,
    log: options.log,
  };
  const server: Server = createServer((request, response) => {
    handle(request, response, context).catch((error: unknown) => {
      if (error instanceof ClientGone) return;
      stackLog(options.log, "ERROR", "AWS endpoint failed", { error: String(error) });
      if (!response.headersSent)
        send(response, 500, { __type: "InternalServerError", message: "Internal error" });
    });
  });
  const port = await listen(
    server,
    options.port,
    "local AWS endpoint (SSM, Secrets Manager, Lambda, API Gateway)",
    "--aws-port",
  );
  return {
    url: `http://${LOCAL_HOST}:${port}`,
    port,
    parameters,
    secrets,
    attach(attached) {
      context.plane = attached;
    },
    close: () => closeServer(server),
  };
}

function send(response: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    "Content-Type": CONTENT_TYPE,
    "Content-Length": Buffer.byteLength(payload),
    "x-amzn-RequestId": randomUUID(),
    ...(errorType ? { "x-amzn-ErrorType": errorType } : {}),
  });
  response.end(payload);
}

function sendError(response: ServerResponse, error: AwsError): void {
  send(response, error.status, { __type: error.type, message: error.message }, error.type);
}

/** What the signing name of an X-Amz-Target is. */
function jsonService(target: string): string {
  return target.startsWith("AmazonSSM.") ? "ssm" : "secretsmanager";
}

function denialLog(context: EndpointContext, caller: LocalCaller, what: string, message: string): void {
  if (caller.kind === "function")
    stackLog(context.log, "WARN", `${what} denied: ${message}`, { function: caller.functionId });
}

/** Health, then the REST control plane (Lambda, API Gateway), then the JSON APIs (SSM, Secrets Manager). */
async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  context: EndpointContext,
): Promise<void> {
  if (request.method === "GET" && (request.url === "/" || request.url === "/health")) {
    request.resume();
    send(response, 200, { status: "ok", services: ["ssm", "secretsmanager"] });
    return;
  }
  const controlService = request.headers["x-amz-target"]
    ? undefined
    : controlPlaneService(request.method, request.url);
  if (context.plane && controlService) {
    await handleControlPlaneRequest(request, response, context, context.plane, controlService);
    return;
  }
  await handleJsonRequest(request, response, context);
}

async function handleControlPlaneRequest(
  request: IncomingMessage,
  response: ServerResponse,
  context: EndpointContext,
  plane: ControlPlane,
  controlService: string,
): Promise<void> {
  const body = await readBody(request, MAX_PAYLOAD_BYTES);
  let caller: LocalCaller | undefined;
  if (body !== "too-large") {
    const authenticated = await context.authenticator.authenticate(
      controlService,
      receivedRequest(request, body),
    );
    if (!authenticated.ok) {
      // REST services answer these with 403.
      sendRestError(response, 403, authenticated.type, authenticated.message);
      return;
    }
    caller = authenticated.caller;
  }
  const access: ControlPlaneAccess = {
    ...context.scope,
    denied(check) {
      // Without a caller the body was too large: the call is refused before it is authorized.
      if (!caller) return "The request was not authenticated";
      const denial = authorize(caller, [check]);
      if (denial) denialLog(context, caller, check.action, denial.message);
      return denial?.message;
    },
  };
  if (await handleControlPlane(request, body, response, plane, access)) return;
  sendError(response, new AwsError("UnknownOperationException", "This operation is not supported locally"));
}

/** A JSON 1.1 call (`X-Amz-Target`): operation -> body -> signature -> input -> identity policy -> run. */
async function handleJsonRequest(
  request: IncomingMessage,
  response: ServerResponse,
  context: EndpointContext,
): Promise<void> {
  const refuse = (error: AwsError): void => {
    request.resume();
    sendError(response, error);
  };
  if (request.method !== "POST") {
    return refuse(new AwsError("UnknownOperationException", "Only POST with X-Amz-Target is supported"));
  }
  const target = String(request.headers["x-amz-target"] ?? "");
  const operation = context.operations.get(target);
  if (!operation) {
    // Nothing runs for an unknown operation: it is refused before its signature is looked at.
    return refuse(
      new AwsError(
        "UnknownOperationException",
        `Operation ${target || "(no X-Amz-Target)"} is not supported locally`,
      ),
    );
  }
  const body = await readBody(request, MAX_REQUEST_BYTES);
  if (body === "too-large") {
    sendError(response, new AwsError("RequestEntityTooLargeException", "Request is too large", 413));
    return;
  }
  const authenticated = await context.authenticator.authenticate(
    jsonService(target),
    receivedRequest(request, body),
  );
  if (!authenticated.ok) {
    sendError(response, new AwsError(authenticated.type, authenticated.message));
    return;
  }
  const fields = jsonInput(body);
  if (fields instanceof AwsError) {
    sendError(response, fields);
    return;
  }
  const denial = authorize(authenticated.caller, operation.checks(fields));
  if (denial) {
    denialLog(context, authenticated.caller, target, denial.message);
    sendError(response, new AwsError("AccessDeniedException", denial.message));
    return;
  }
  try {
    send(response, 200, operation.run(fields));
  } catch (error) {
    if (error instanceof AwsError) sendError(response, error);
    else throw error;
  }
}

function jsonInput(body: Buffer): Record<string, unknown> | AwsError {
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
  } catch {
    return new AwsError("SerializationException", "Request body is not valid JSON");
  }
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return new AwsError("SerializationException", "Request body must be a JSON object");
  }
  return input as Record<string, unknown>;
}
