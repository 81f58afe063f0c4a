import { TemplateError } from "../errors";
import { roleId } from "../iam";
import type { CfnResource, CfnTemplate } from "../project";
import { ALPHANUMERIC, hashedId, MIXED, UPPER_ALPHANUMERIC } from "../support";
import type { ResourceModel, TemplateEvaluator } from "./intrinsics";

/**
 * Physical ids and attributes of resources as the local stack creates them.
 * Names are deterministic (`<stackName>-<LogicalId>`, ids hashed from it) so
 * they are the same on every start and in `npm run invoke`, with no state.
 */

function generatedName(stackName: string, logicalId: string): string {
  return `${stackName}-${logicalId}`;
}

/** API Gateway REST API ids are 10 lower-case alphanumerics. */
export function restApiId(stackName: string, logicalId: string): string {
  return hashedId(`${stackName}/${logicalId}`, 10, ALPHANUMERIC);
}

export function lambdaArn(evaluator: TemplateEvaluator, functionName: string): string {
  return `arn:${evaluator.partition}:lambda:${evaluator.region}:${evaluator.accountId}:function:${functionName}`;
}

/** Secrets Manager appends six random characters to a secret's ARN; here they come from the name. */
export function secretArn(evaluator: TemplateEvaluator, name: string): string {
  const suffix = hashedId(name, 6, MIXED);
  return `arn:${evaluator.partition}:secretsmanager:${evaluator.region}:${evaluator.accountId}:secret:${name}-${suffix}`;
}

/** The function's name: FunctionName when given, else a generated one. */
export function functionName(evaluator: TemplateEvaluator, logicalId: string, resource: CfnResource): string {
  const name = resource.Properties?.FunctionName;
  return name === undefined
    ? generatedName(evaluator.stackName, logicalId)
    : evaluator.evaluateString(name, `Resources.${logicalId}.Properties.FunctionName`);
}

function namedOr(
  evaluator: TemplateEvaluator,
  logicalId: string,
  resource: CfnResource,
  property: string,
): string {
  const value = resource.Properties?.[property];
  return value === undefined
    ? generatedName(evaluator.stackName, logicalId)
    : evaluator.evaluateString(value, `Resources.${logicalId}.Properties.${property}`);
}

export function tableName(evaluator: TemplateEvaluator, logicalId: string, resource: CfnResource): string {
  return namedOr(evaluator, logicalId, resource, "TableName");
}

export function secretName(evaluator: TemplateEvaluator, logicalId: string, resource: CfnResource): string {
  return namedOr(evaluator, logicalId, resource, "Name");
}

export function parameterName(
  evaluator: TemplateEvaluator,
  logicalId: string,
  resource: CfnResource,
): string {
  const value = resource.Properties?.Name;
  return value === undefined
    ? `CFN-${logicalId}-${hashedId(`${evaluator.stackName}/${logicalId}`, 12, MIXED)}`
    : evaluator.evaluateString(value, `Resources.${logicalId}.Properties.Name`);
}

/** SAM creates `ServerlessRestApi` when any function has an Api event without RestApiId. */
export function hasImplicitApi(template: CfnTemplate): boolean {
  return Object.values(template.Resources).some((resource) => {
    if (resource.Type !== "AWS::Serverless::Function") return false;
    const events = (resource.Properties?.Events ?? {}) as Record<
      string,
      { Type?: string; Properties?: Record<string, unknown> }
    >;
    return Object.values(events).some(
      (event) => event.Type === "Api" && event.Properties?.RestApiId === undefined,
    );
  });
}

/** The alias SAM publishes for a function (`AutoPublishAlias`, its own or from Globals), if any. */
function publishedAlias(evaluator: TemplateEvaluator, resource: CfnResource): string | undefined {
  const alias =
    resource.Properties?.AutoPublishAlias ?? evaluator.template.Globals?.Function?.AutoPublishAlias;
  return alias === undefined ? undefined : evaluator.evaluateString(alias, "AutoPublishAlias");
}

/**
 * What SAM generates for a function with AutoPublishAlias: `<Function>Alias<alias>`
 * and `<Function>Version<hash>`. Locally there is one version, $LATEST, and the
 * alias and every version resolve to the same function.
 */
function aliasedFunction(
  evaluator: TemplateEvaluator,
  logicalId: string,
): { id: string; resource: CfnResource; part: "Alias" | "Version" } | undefined {
  for (const [id, resource] of Object.entries(evaluator.template.Resources)) {
    if (resource.Type !== "AWS::Serverless::Function" || !logicalId.startsWith(id)) continue;
    const alias = publishedAlias(evaluator, resource);
    if (alias === undefined) continue;
    if (logicalId === `${id}Alias${alias}`) return { id, resource, part: "Alias" };
    if (/^Version[0-9a-f]*$/.test(logicalId.slice(id.length))) return { id, resource, part: "Version" };
  }
  return undefined;
}

/** `!Ref Fn.Alias` is the alias's ARN, `!Ref Fn.Version` a version's: both name the one local function. */
function qualifiedFunctionArn(
  evaluator: TemplateEvaluator,
  logicalId: string,
  resource: CfnResource,
  part: "Alias" | "Version",
): string {
  const arn = lambdaArn(evaluator, functionName(evaluator, logicalId, resource));
  return `${arn}:${part === "Alias" ? (publishedAlias(evaluator, resource) ?? "live") : LOCAL_VERSION}`;
}

const LOCAL_VERSION = "$LATEST";

/** `<Function>Role` is generated by SAM when the function declares no Role. */
function generatedRoleOwner(evaluator: TemplateEvaluator, logicalId: string): CfnResource | undefined {
  if (!logicalId.endsWith("Role")) return undefined;
  const owner = evaluator.template.Resources[logicalId.slice(0, -"Role".length)];
  return owner?.Type === "AWS::Serverless::Function" && owner.Properties?.Role === undefined
    ? owner
    : undefined;
}

function roleArn(evaluator: TemplateEvaluator, name: string, path: unknown, where: string): string {
  const rolePath = path === undefined ? "/" : evaluator.evaluateString(path, where);
  return `arn:${evaluator.partition}:iam::${evaluator.accountId}:role${rolePath}${name}`;
}

function unsupported(logicalId: string, type: string, attribute: string): never {
  throw new TemplateError(
    `Fn::GetAtt ${logicalId}.${attribute}: attribute not supported locally for ${type}`,
  );
}

export const localResourceModel: ResourceModel = {
  isGenerated(logicalId, evaluator) {
    const base = logicalId.split(".")[0] ?? logicalId;
    if (base === "ServerlessRestApi") return hasImplicitApi(evaluator.template);
    return (
      generatedRoleOwner(evaluator, base) !== undefined || aliasedFunction(evaluator, base) !== undefined
    );
  },

  ref(logicalId, resource, evaluator) {
    const { stackName, region, accountId, partition } = evaluator;
    const [base, part] = logicalId.split(".", 2) as [string, string | undefined];
    if (resource === undefined) {
      if (base === "ServerlessRestApi") return part === "Stage" ? "Prod" : restApiId(stackName, base);
      const aliased = aliasedFunction(evaluator, base);
      if (aliased) return qualifiedFunctionArn(evaluator, aliased.id, aliased.resource, aliased.part);
      return generatedName(stackName, base);
    }
    switch (resource.Type) {
      case "AWS::Serverless::Api":
      case "AWS::ApiGateway::RestApi":
        if (part === "Stage")
          return evaluator.evaluateString(
            resource.Properties?.StageName,
            `Resources.${base}.Properties.StageName`,
          );
        if (part !== undefined) return `${restApiId(stackName, base)}-${part.toLowerCase()}`;
        return restApiId(stackName, base);
      case "AWS::Serverless::Function":
      case "AWS::Lambda::Function":
        if (part === "Alias" || part === "Version")
          return qualifiedFunctionArn(evaluator, base, resource, part);
        return functionName(evaluator, base, resource);
      case "AWS::IAM::ManagedPolicy": {
        const path = resource.Properties?.Path;
        const policyPath =
          path === undefined ? "/" : evaluator.evaluateString(path, `Resources.${base}.Properties.Path`);
        return `arn:${partition}:iam::${accountId}:policy${policyPath}${namedOr(evaluator, base, resource, "ManagedPolicyName")}`;
      }
      case "AWS::DynamoDB::Table":
        return tableName(evaluator, base, resource);
      case "AWS::SecretsManager::Secret":
        return secretArn(evaluator, secretName(evaluator, base, resource));
      case "AWS::SSM::Parameter":
        return parameterName(evaluator, base, resource);
      case "AWS::Logs::LogGroup":
        return namedOr(evaluator, base, resource, "LogGroupName");
      case "AWS::IAM::Role":
        return namedOr(evaluator, base, resource, "RoleName");
      case "AWS::SNS::Topic":
        return `arn:${partition}:sns:${region}:${accountId}:${namedOr(evaluator, base, resource, "TopicName")}`;
      case "AWS::CloudFront::Distribution":
        return `E${hashedId(`${stackName}/${base}`, 13, UPPER_ALPHANUMERIC)}`;
      case "AWS::S3::Bucket":
        return namedOr(evaluator, base, resource, "BucketName").toLowerCase();
      default:
        return generatedName(stackName, base);
    }
  },

  getAtt(logicalId, resource, attribute, evaluator) {
    const { stackName, region, accountId, partition } = evaluator;
    const where = `Resources.${logicalId}`;
    if (resource === undefined) {
      const owner = generatedRoleOwner(evaluator, logicalId);
      if (owner && (attribute === "Arn" || attribute === "RoleId")) {
        // RolePath is a scalar: the function's own value replaces the Globals one, as SAM merges it.
        const arn = roleArn(
          evaluator,
          generatedName(stackName, logicalId),
          owner.Properties?.RolePath ?? evaluator.template.Globals?.Function?.RolePath,
          `${where}.RolePath`,
        );
        return attribute === "Arn" ? arn : roleId(arn);
      }
      if (logicalId === "ServerlessRestApi" && attribute === "RootResourceId") {
        return restApiId(stackName, `${logicalId}/root`);
      }
      return unsupported(logicalId, "a SAM-generated resource", attribute);
    }
    const ref = (): string => String(localResourceModel.ref(logicalId, resource, evaluator));
    switch (resource.Type) {
      case "AWS::Serverless::Function":
      case "AWS::Lambda::Function":
        if (attribute === "Arn") return lambdaArn(evaluator, ref());
        // `!GetAtt Fn.Version.Version`: the number of the version SAM published.
        if (attribute === "Version.Version" || (logicalId.endsWith(".Version") && attribute === "Version"))
          return LOCAL_VERSION;
        break;
      case "AWS::DynamoDB::Table":
        if (attribute === "Arn") return `arn:${partition}:dynamodb:${region}:${accountId}:table/${ref()}`;
        if (attribute === "StreamArn") {
          return `arn:${partition}:dynamodb:${region}:${accountId}:table/${ref()}/stream/1970-01-01T00:00:00.000`;
        }
        break;
      case "AWS::SecretsManager::Secret":
        if (attribute === "Id") return ref();
        break;
      case "AWS::SSM::Parameter":
        if (attribute === "Type")
          return evaluator.evaluate(resource.Properties?.Type, `${where}.Properties.Type`);
        if (attribute === "Value")
          return evaluator.evaluate(resource.Properties?.Value, `${where}.Properties.Value`);
        break;
      case "AWS::Serverless::Api":
      case "AWS::ApiGateway::RestApi":
        if (attribute === "RootResourceId") return restApiId(stackName, `${logicalId}/root`);
        break;
      case "AWS::Logs::LogGroup":
        if (attribute === "Arn") return `arn:${partition}:logs:${region}:${accountId}:log-group:${ref()}:*`;
        break;
      case "AWS::IAM::Role": {
        const arn = roleArn(evaluator, ref(), resource.Properties?.Path, `${where}.Properties.Path`);
        if (attribute === "Arn") return arn;
        if (attribute === "RoleId") return roleId(arn);
        break;
      }
      case "AWS::CloudFront::Distribution":
        // Localized to the gateway's URL (localizeSiteUrls) when the distribution declares a StaticSite.
        if (attribute === "DomainName") return `${ref().toLowerCase()}.cloudfront.net`;
        break;
      case "AWS::S3::Bucket":
        if (attribute === "Arn") return `arn:${partition}:s3:::${ref()}`;
        if (attribute === "RegionalDomainName") return `${ref()}.s3.${region}.amazonaws.com`;
        break;
      case "AWS::SNS::Topic":
        if (attribute === "TopicArn") return ref();
        if (attribute === "TopicName") return ref().split(":").pop();
        break;
      default:
        if (attribute === "Arn") {
          const service = resource.Type.split("::")[1]?.toLowerCase() ?? "unknown";
          return `arn:${partition}:${service}:${region}:${accountId}:${ref()}`;
        }
    }
    return unsupported(logicalId, resource.Type, attribute);
  },
};
