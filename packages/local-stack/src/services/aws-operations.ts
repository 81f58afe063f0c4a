import { AwsError } from "../errors";
import type { AccessCheck } from "../iam";
import type { SecretStore } from "./secret-store";
import { type ParameterStore, parameterArn, type StoredParameter } from "./ssm-store";

/**
 * The JSON 1.1 operations the local AWS endpoint serves (SSM and Secrets
 * Manager), each with what IAM authorizes for its input.
 */

export interface AwsScope {
  partition: string;
  region: string;
  accountId: string;
}

export interface Operation {
  run(input: Record<string, unknown>): unknown;
  /** What IAM authorizes for this input; none when the input names nothing (it then fails validation). */
  checks(input: Record<string, unknown>): AccessCheck[];
}

type Run = Operation["run"];
type Shape = (parameter: StoredParameter, decrypt: boolean) => Record<string, unknown>;

export function createOperations(
  parameters: ParameterStore,
  secrets: SecretStore,
  scope: AwsScope,
): Map<string, Operation> {
  const runs = new Map<string, Run>([...ssmOperations(parameters, scope), ...secretsOperations(secrets)]);
  const checks = operationChecks(secrets, scope);
  const out = new Map<string, Operation>();
  for (const [target, run] of runs) {
    const check = checks[target];
    // An operation nobody wrote the checks of is one no function may call.
    out.set(target, { run, checks: check ?? (() => [{ action: target, resource: "*" }]) });
  }
  return out;
}

function ssmOperations(parameters: ParameterStore, scope: AwsScope): Map<string, Run> {
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

  const operations = new Map<string, Run>();
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
  operations.set("AmazonSSM.GetParametersByPath", (input) => parametersByPath(parameters, input, shape));
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
  return operations;
}

function parametersByPath(parameters: ParameterStore, input: Record<string, unknown>, shape: Shape): unknown {
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
}

function secretsOperations(secrets: SecretStore): Map<string, Run> {
  const operations = new Map<string, Run>();
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
  operations.set("secretsmanager.PutSecretValue", (input) => putSecretValue(secrets, input));
  return operations;
}

function putSecretValue(secrets: SecretStore, input: Record<string, unknown>): unknown {
  const secretId = requireString(input, "SecretId");
  if (input.SecretBinary !== undefined) {
    throw new AwsError("InvalidRequestException", "SecretBinary is not supported locally; use SecretString.");
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
}

function optionalString(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") {
    throw new AwsError("ValidationException", `${key} must be a non-empty string`);
  }
  return value;
}

function operationChecks(secrets: SecretStore, scope: AwsScope): Record<string, Operation["checks"]> {
  const { region, accountId } = scope;
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
  return {
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
function parameterResource(reference: string, scope: AwsScope): string {
  const bare = reference.replace(/:\d+$/, "");
  if (bare.startsWith("arn:")) return bare;
  return `arn:${scope.partition}:ssm:${scope.region}:${scope.accountId}:parameter/${bare.replace(/^\//, "")}`;
}

function nonEmptyStrings(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items.filter((item): item is string => typeof item === "string" && item !== "");
}
