import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { LOCAL_HOST, partitionOf } from "../constants";
import { AwsError } from "../errors";
import type { AccessCheck } from "../iam";
import { AwsAuthenticator, authorize, type CallerLookup, type LocalCaller, receivedRequest } from "../iam";
import { MAX_PAYLOAD_BYTES } from "../runtime";
import { ClientGone, closeServer, type LogSink, listen, readBody, stackLog } from "../support";
import {
  type ControlPlane,
  type ControlPlaneAccess,
  controlPlaneService,
  handleControlPlane,
  sendRestError,
} from "./control-plane";
import { SecretStore } from "./secret-store";
import { ParameterStore, parameterArn, type StoredParameter } from "./ssm-store";

/**
 * One HTTP endpoint speaking the AWS JSON 1.1 protocol for the SSM and
 * Secrets Manager operations Meridian uses, so the real SDK clients (and
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

interface Operation {
  run(input: Record<string, unknown>): unknown;
  /** What IAM authorizes for this input; none when the input names nothing (it then fails validation). */
  checks(input: Record<string, unknown>): AccessCheck[];
}

interface EndpointContext {
  operations: Map<string, Operation>;
  plane: ControlPlane | undefined;
  authenticator: AwsAuthenticator;
  scope: { partition: string; region: string; accountId: string };
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
  const { plane } = context;
  const controlService = request.headers["x-amz-target"]
    ? undefined
    : controlPlaneService(request.method, request.url);
  if (plane && controlService) {
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
    return;
  }
  if (request.method !== "POST") {
    request.resume();
    sendError(
      response,
      new AwsError("UnknownOperationException", "Only POST with X-Amz-Target is supported"),
    );
    return;
  }
  const target = String(request.headers["x-amz-target"] ?? "");
  const operation = context.operations.get(target);
  if (!operation) {
    // Nothing runs for an unknown operation: it is refused before its signature is looked at.
    request.resume();
    sendError(
      response,
      new AwsError(
        "UnknownOperationException",
        `Operation ${target || "(no X-Amz-Target)"} is not supported locally`,
      ),
    );
    return;
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
  let input: unknown;
  try {
    input = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
  } catch {
    sendError(response, new AwsError("SerializationException", "Request body is not valid JSON"));
    return;
  }
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    sendError(response, new AwsError("SerializationException", "Request body must be a JSON object"));
    return;
  }
  const fields = input as Record<string, unknown>;
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

function requireString(input: Record<string, unknown>, key: string): string {
  const value = input[key];
  if (typeof value !== "string" || value === "") {
    throw new AwsError(
      "ValidationException",
      `1 validation error detected: Value at '${lowerFirst(key)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * The ARN IAM authorizes a parameter by: `arn:<partition>:ssm:<region>:<account>:parameter/<name>`
 * (a leading `/` of the name is not repeated), from a name or an ARN, without a `:<version>` selector.
 */
export function parameterResource(reference: string, scope: EndpointContext["scope"]): string {
  const bare = reference.replace(/:\d+$/, "");
  if (bare.startsWith("arn:")) return bare;
  return `arn:${scope.partition}:ssm:${scope.region}:${scope.accountId}:parameter/${bare.replace(/^\//, "")}`;
}

function nonEmptyStrings(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items.filter((item): item is string => typeof item === "string" && item !== "");
}

function createOperations(
  parameters: ParameterStore,
  secrets: SecretStore,
  scope: EndpointContext["scope"],
): Map<string, Operation> {
  const { region, accountId } = scope;
  const shape = (parameter: StoredParameter, decrypt: boolean): Record<string, unknown> => ({
    Name: parameter.name,
    Type: parameter.type,
    // Without WithDecryption SSM returns the ciphertext; locally an opaque base64 blob stands in for it.
    Value:
      parameter.type === "SecureString" && !decrypt
        ? Buffer.from(`local-kms:${parameter.value}`).toString("base64")
        : parameter.value,
    Version: parameter.version,
    LastModifiedDate: parameter.lastModified / 1000,
    ARN: parameterArn(parameter, region, accountId),
    DataType: parameter.dataType,
  });

  const operations = new Map<string, Operation["run"]>();
  operations.set("AmazonSSM.GetParameter", (input) => ({
    Parameter: shape(parameters.get(requireString(input, "Name")), input.WithDecryption === true),
  }));
  operations.set("AmazonSSM.GetParameters", (input) => {
    const names = input.Names;
    if (!Array.isArray(names) || names.length === 0 || names.length > 10) {
      throw new AwsError("ValidationException", "Names must contain between 1 and 10 parameter names.");
    }
    const found: Record<string, unknown>[] = [];
    const invalid: string[] = [];
    for (const name of new Set(names.map(String))) {
      const parameter = parameters.find(name);
      if (parameter) found.push(shape(parameter, input.WithDecryption === true));
      else invalid.push(name);
    }
    return { Parameters: found, InvalidParameters: invalid };
  });
  operations.set("AmazonSSM.GetParametersByPath", (input) => {
    const path = requireString(input, "Path");
    const maxResults = input.MaxResults === undefined ? 10 : Number(input.MaxResults);
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 10) {
      throw new AwsError("ValidationException", "MaxResults must be between 1 and 10.");
    }
    const all = parameters.byPath(path, input.Recursive === true);
    let start = 0;
    if (typeof input.NextToken === "string") {
      // The token is the last name returned; resuming after it survives concurrent writes.
      const after = Buffer.from(input.NextToken, "base64url").toString("utf8");
      start = all.findIndex((parameter) => parameter.name.localeCompare(after) > 0);
      if (start < 0) start = all.length;
    }
    const page = all.slice(start, start + maxResults);
    const last = page[page.length - 1];
    const more = start + maxResults < all.length;
    return {
      Parameters: page.map((parameter) => shape(parameter, input.WithDecryption === true)),
      ...(more && last ? { NextToken: Buffer.from(last.name).toString("base64url") } : {}),
    };
  });
  operations.set("AmazonSSM.PutParameter", (input) => {
    const stored = parameters.put({
      name: requireString(input, "Name"),
      value: typeof input.Value === "string" ? input.Value : requireString(input, "Value"),
      type: typeof input.Type === "string" ? input.Type : undefined,
      overwrite: input.Overwrite === true,
      description: typeof input.Description === "string" ? input.Description : undefined,
      dataType: typeof input.DataType === "string" ? input.DataType : undefined,
    });
    return { Version: stored.version, Tier: "Standard" };
  });
  operations.set("AmazonSSM.DeleteParameter", (input) => {
    parameters.delete(requireString(input, "Name"));
    return {};
  });
  operations.set("AmazonSSM.DeleteParameters", (input) => {
    const names = Array.isArray(input.Names) ? input.Names.map(String) : [];
    const deleted: string[] = [];
    const invalid: string[] = [];
    for (const name of names) {
      try {
        parameters.delete(name);
        deleted.push(name);
      } catch {
        invalid.push(name);
      }
    }
    return { DeletedParameters: deleted, InvalidParameters: invalid };
  });
  const optionalString = (input: Record<string, unknown>, key: string): string | undefined => {
    const value = input[key];
    if (value === undefined) return undefined;
    if (typeof value !== "string" || value === "") {
      throw new AwsError("ValidationException", `${key} must be a non-empty string`);
    }
    return value;
  };
  operations.set("secretsmanager.GetSecretValue", (input) => {
    const secretId = requireString(input, "SecretId");
    const secret = secrets.get(secretId);
    const version = secrets.version(secretId, {
      versionId: optionalString(input, "VersionId"),
      versionStage: optionalString(input, "VersionStage"),
    });
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      SecretString: version.secretString,
      VersionStages: version.stages,
      CreatedDate: version.createdDate / 1000,
    };
  });
  operations.set("secretsmanager.PutSecretValue", (input) => {
    const secretId = requireString(input, "SecretId");
    if (input.SecretBinary !== undefined) {
      throw new AwsError(
        "InvalidRequestException",
        "SecretBinary is not supported locally; use SecretString.",
      );
    }
    if (typeof input.SecretString !== "string") {
      throw new AwsError("InvalidRequestException", "You must provide either SecretString or SecretBinary.");
    }
    const token = optionalString(input, "ClientRequestToken");
    if (token !== undefined && (token.length < 32 || token.length > 64)) {
      throw new AwsError("ValidationException", "ClientRequestToken must be 32 to 64 characters long.");
    }
    const stages = input.VersionStages;
    if (
      stages !== undefined &&
      (!Array.isArray(stages) ||
        stages.length < 1 ||
        stages.length > 20 ||
        !stages.every((stage) => typeof stage === "string" && stage.length >= 1 && stage.length <= 256))
    ) {
      throw new AwsError(
        "ValidationException",
        "VersionStages must hold 1 to 20 labels of 1 to 256 characters.",
      );
    }
    const { secret, version } = secrets.putValue(secretId, {
      secretString: input.SecretString,
      clientRequestToken: token,
      versionStages: stages as string[] | undefined,
    });
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.versionId,
      VersionStages: version.stages,
    };
  });

  // What each is authorized on, from the names in its input.
  const onParameters =
    (action: string, key: string) =>
    (input: Record<string, unknown>): AccessCheck[] =>
      nonEmptyStrings(input[key]).map((name) => ({ action, resource: parameterResource(name, scope) }));
  const onSecret =
    (action: string) =>
    (input: Record<string, unknown>): AccessCheck[] =>
      nonEmptyStrings(input.SecretId).map((secretId) => ({
        action,
        resource:
          secrets.find(secretId)?.arn ??
          (secretId.startsWith("arn:")
            ? secretId
            : `arn:${scope.partition}:secretsmanager:${region}:${accountId}:secret:${secretId}`),
      }));
  const checks: Record<string, Operation["checks"]> = {
    "AmazonSSM.GetParameter": onParameters("ssm:GetParameter", "Name"),
    "AmazonSSM.GetParameters": onParameters("ssm:GetParameters", "Names"),
    "AmazonSSM.GetParametersByPath": (input) =>
      nonEmptyStrings(input.Path).map((path) => ({
        action: "ssm:GetParametersByPath",
        resource: parameterResource(path.length > 1 ? path.replace(/\/$/, "") : path, scope),
      })),
    "AmazonSSM.PutParameter": onParameters("ssm:PutParameter", "Name"),
    "AmazonSSM.DeleteParameter": onParameters("ssm:DeleteParameter", "Name"),
    "AmazonSSM.DeleteParameters": onParameters("ssm:DeleteParameters", "Names"),
    "secretsmanager.GetSecretValue": onSecret("secretsmanager:GetSecretValue"),
    "secretsmanager.PutSecretValue": onSecret("secretsmanager:PutSecretValue"),
  };
  const out = new Map<string, Operation>();
  for (const [target, run] of operations) {
    const check = checks[target];
    // An operation nobody wrote the checks of is one no function may call.
    out.set(target, { run, checks: check ?? (() => [{ action: target, resource: "*" }]) });
  }
  return out;
}
