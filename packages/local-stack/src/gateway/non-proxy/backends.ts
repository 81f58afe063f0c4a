import { request as httpRequest } from "node:http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { HttpRequest } from "@smithy/types";
import { NodeSha256 } from "../../iam";
import type { CompiledIntegration } from "./compile";
import type { BackendAnswer, IntegrationBackends, IntegrationRequest } from "./run";

/**
 * The backends of non-proxy integrations. A DynamoDB action is a SigV4-signed call to the local
 * DynamoDB endpoint with the credentials of API Gateway's session of the integration's role, so
 * the endpoint holds it to that role's identity policy exactly as it holds functions (a missing
 * grant is DynamoDB's own 400 AccessDeniedException, which the integration responses then map).
 * A Lambda function is invoked with the rendered request as its event.
 */

export interface RoleCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export type InvokeOutcome =
  | { ok: true; payload: unknown }
  | { ok: false; kind: string; error: { errorType: string; errorMessage: string } };

export interface BackendOptions {
  region: string;
  timeoutMs: number;
  invokeFunction(arn: string, event: unknown, requestId: string): Promise<InvokeOutcome | undefined>;
  /** The local DynamoDB endpoint and each integration role's credentials, once the stack has them. */
  aws(): { dynamodbUrl: string; credentials(callerId: string): RoleCredentials | undefined } | undefined;
}

const STAGE_VARIABLE = /\$\{stageVariables\.([A-Za-z0-9_]+)\}/g;

export function createBackends(options: BackendOptions): IntegrationBackends {
  return {
    async call(integration: CompiledIntegration, requestBody: string, request: IntegrationRequest) {
      const target = integration.target;
      if (target.kind === "lambda") {
        const arn = target.functionArn.replace(
          STAGE_VARIABLE,
          (_all, name: string) => request.stageVariables[name] ?? "",
        );
        return invokeLambda(options, arn, requestBody, request.facts.requestId);
      }
      const aws = options.aws();
      const credentials = integration.role ? aws?.credentials(integration.role.callerId) : undefined;
      if (!aws || !credentials) {
        return {
          kind: "http",
          status: 500,
          headers: {},
          body: '{"message":"no credentials for the integration role"}',
        };
      }
      return callDynamo(options, aws.dynamodbUrl, credentials, target.action, requestBody);
    },
  };
}

async function invokeLambda(
  options: BackendOptions,
  arn: string,
  requestBody: string,
  requestId: string,
): Promise<BackendAnswer> {
  let event: unknown;
  try {
    event = JSON.parse(requestBody);
  } catch {
    // Lambda refuses a payload that is not JSON before the function runs.
    return {
      kind: "http",
      status: 400,
      headers: {},
      body: '{"message":"Could not parse request body into json"}',
    };
  }
  const outcome = await options.invokeFunction(arn, event, requestId);
  if (!outcome)
    return { kind: "http", status: 404, headers: {}, body: `{"message":"Function not found: ${arn}"}` };
  if (outcome.ok) return { kind: "lambda", payload: outcome.payload };
  return {
    kind: "lambda-error",
    errorMessage: outcome.error.errorMessage,
    errorType: outcome.error.errorType,
  };
}

async function callDynamo(
  options: BackendOptions,
  endpoint: string,
  credentials: RoleCredentials,
  action: string,
  body: string,
): Promise<BackendAnswer> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({
    service: "dynamodb",
    region: options.region,
    credentials,
    sha256: NodeSha256,
  });
  const unsigned: HttpRequest = {
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: "/",
    headers: {
      host: url.host,
      "content-type": "application/x-amz-json-1.0",
      "x-amz-target": `DynamoDB_20120810.${action}`,
    },
    body,
  };
  const signed = await signer.sign(unsigned);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: "POST",
        path: "/",
        headers: signed.headers,
        timeout: options.timeoutMs,
      },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on("data", (chunk: Buffer) => chunks.push(chunk));
        answer.on("end", () => {
          const headers: Record<string, string> = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (typeof value === "string") headers[name.toLowerCase()] = value;
          }
          resolve({
            kind: "http",
            status: answer.statusCode ?? 500,
            headers,
            body: Buffer.concat(chunks).toString("utf8"),
          });
        });
        answer.on("error", reject);
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new Error("DynamoDB did not answer in time")));
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}
