import { dirname } from "node:path";
import type { FunctionDefinition } from "../template";
import type { BuildResult } from "./bundle";
import type { RuntimeFunction } from "./pool";

/** Lambda's environment variables for a function, and what its runtime needs to run it. */

export interface LambdaEnvironmentContext {
  region: string;
  /** The function's own (its role's) when the stack issued them. */
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  dynamodbEndpoint: string;
  awsEndpoint: string;
  taskRoot: string;
}

/** The variables Lambda sets, plus the standard endpoint overrides that point the SDK at the local stack. */
function lambdaEnvironment(
  definition: FunctionDefinition,
  context: LambdaEnvironmentContext,
): Record<string, string> {
  const runtime = definition.runtime.startsWith("nodejs") ? definition.runtime : "nodejs22.x";
  return {
    ...definition.environment,
    AWS_REGION: context.region,
    AWS_DEFAULT_REGION: context.region,
    AWS_ACCESS_KEY_ID: context.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: context.credentials.secretAccessKey,
    ...(context.credentials.sessionToken ? { AWS_SESSION_TOKEN: context.credentials.sessionToken } : {}),
    AWS_ENDPOINT_URL_DYNAMODB: context.dynamodbEndpoint,
    AWS_ENDPOINT_URL_SSM: context.awsEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: context.awsEndpoint,
    AWS_ENDPOINT_URL_LAMBDA: context.awsEndpoint,
    AWS_ENDPOINT_URL_API_GATEWAY: context.awsEndpoint,
    AWS_LAMBDA_FUNCTION_NAME: definition.functionName,
    _HANDLER: definition.spec.handler,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_LOG_GROUP_NAME: definition.logGroupName,
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    ...(definition.logFormat === "JSON" ? { AWS_LAMBDA_LOG_FORMAT: "JSON" } : {}),
    ...(definition.applicationLogLevel ? { AWS_LAMBDA_LOG_LEVEL: definition.applicationLogLevel } : {}),
    LAMBDA_TASK_ROOT: context.taskRoot,
    LAMBDA_RUNTIME_DIR: "/var/runtime",
    LANG: "en_US.UTF-8",
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    // The host may run an older Node than the template's runtime; the SDK's notice about it is noise here.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

/** Assembles what a FunctionRuntime needs from a planned, built function. */
export function runtimeFunction(
  definition: FunctionDefinition,
  built: BuildResult,
  context: Omit<LambdaEnvironmentContext, "taskRoot">,
  maxConcurrency: number,
): RuntimeFunction {
  const modulePath = built.ok ? built.modulePath : "";
  return {
    id: definition.id,
    service: definition.service,
    logicalId: definition.logicalId,
    functionName: definition.functionName,
    arn: definition.arn,
    modulePath,
    ...(built.ok ? {} : { buildError: built.error }),
    moduleName: definition.spec.moduleName,
    exportName: definition.spec.exportName,
    format: definition.spec.buildOptions.format === "esm" ? "esm" : "cjs",
    environment: lambdaEnvironment(definition, { ...context, taskRoot: built.ok ? dirname(modulePath) : "" }),
    timeoutSeconds: definition.timeoutSeconds,
    memorySize: definition.memorySize,
    logFormat: definition.logFormat,
    logGroupName: definition.logGroupName,
    runtime: definition.runtime,
    templateEnvironment: definition.environment,
    maxConcurrency: Math.max(1, Math.min(maxConcurrency, definition.reservedConcurrency ?? maxConcurrency)),
  };
}
