import { createHash } from "node:crypto";
import { LOCAL_ACCOUNT_ID, partitionOf } from "../constants";
import { TemplateError } from "../errors";
import type { CfnResource, CfnTemplate } from "../project";

/**
 * A small CloudFormation evaluator: enough of Ref, Fn::GetAtt, Fn::Sub,
 * conditions and the list functions to resolve what the local stack reads
 * from a template (environment variables, table definitions, SSM parameter
 * names and values, authorizer ARNs). Resource attributes come from a
 * ResourceModel so the evaluator stays free of per-type knowledge.
 */

/** What `!Ref AWS::NoValue` evaluates to; removed from the enclosing map or list. */

/** The parts of a SAM resource `Fn.Alias`-style names reach, by the SAM type that generates them. */
const SAM_PARTS: Record<string, string[]> = {
  "AWS::Serverless::Function": ["Alias", "Version"],
  "AWS::Serverless::Api": ["Stage", "Deployment"],
};
export const NO_VALUE: unique symbol = Symbol("AWS::NoValue");

export type ParameterValue = string | string[];

export interface ResourceModel {
  /** What `Ref` returns for a declared (or SAM-generated) resource. */
  ref(logicalId: string, resource: CfnResource | undefined, evaluator: TemplateEvaluator): unknown;
  getAtt(
    logicalId: string,
    resource: CfnResource | undefined,
    attribute: string,
    evaluator: TemplateEvaluator,
  ): unknown;
  /** SAM generates resources the template never declares (`<Function>Role`, `ServerlessRestApi`). */
  isGenerated?(logicalId: string, evaluator: TemplateEvaluator): boolean;
}

export interface EvaluatorOptions {
  template: CfnTemplate;
  stackName: string;
  region: string;
  accountId?: string;
  partition?: string;
  urlSuffix?: string;
  parameters: Record<string, ParameterValue>;
  resources?: ResourceModel;
  /**
   * Applied to every string of a top-level result. The local stack uses it to
   * turn `https://{apiId}.execute-api...` URLs of local APIs into gateway URLs.
   */
  rewriteString?: (value: string) => string;
}

type Mappings = Record<string, Record<string, Record<string, unknown>>>;

const noResources: ResourceModel = {
  ref(logicalId) {
    throw new TemplateError(`Ref to resource '${logicalId}' needs a resource model`);
  },
  getAtt(logicalId, _resource, attribute) {
    throw new TemplateError(`Fn::GetAtt ${logicalId}.${attribute} needs a resource model`);
  },
};

export class TemplateEvaluator {
  readonly template: CfnTemplate;
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly partition: string;
  readonly urlSuffix: string;
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  private readonly resources: ResourceModel;
  private readonly rewriteString: ((value: string) => string) | undefined;
  private readonly conditionCache = new Map<string, boolean>();
  private readonly conditionStack = new Set<string>();

  constructor(options: EvaluatorOptions) {
    this.template = options.template;
    this.stackName = options.stackName;
    this.region = options.region;
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.partition = options.partition ?? partitionOf(options.region);
    this.urlSuffix =
      options.urlSuffix ?? (this.partition === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com");
    this.parameters = options.parameters;
    this.resources = options.resources ?? noResources;
    this.rewriteString = options.rewriteString;
  }

  /** Evaluates a template fragment; `where` names it in errors. */
  evaluate(value: unknown, where = "(value)"): unknown {
    const result = this.eval(value, where);
    return this.rewriteString ? rewriteStrings(result, this.rewriteString) : result;
  }

  /** Evaluates to a string (numbers and booleans are stringified, as CloudFormation does). */
  evaluateString(value: unknown, where: string): string {
    const result = this.evaluate(value, where);
    if (typeof result === "string") return result;
    if (typeof result === "number" || typeof result === "boolean") return String(result);
    throw new TemplateError(`${where}: expected a string, got ${describe(result)}`);
  }

  condition(name: string, where = `Conditions.${name}`): boolean {
    const cached = this.conditionCache.get(name);
    if (cached !== undefined) return cached;
    const definition = this.template.Conditions?.[name];
    if (definition === undefined) throw new TemplateError(`${where}: unknown condition '${name}'`);
    if (this.conditionStack.has(name)) {
      throw new TemplateError(`${where}: condition '${name}' refers to itself`);
    }
    this.conditionStack.add(name);
    try {
      const value = this.eval(definition, `Conditions.${name}`);
      if (typeof value !== "boolean") {
        throw new TemplateError(`Conditions.${name}: must be a condition function, got ${describe(value)}`);
      }
      this.conditionCache.set(name, value);
      return value;
    } finally {
      this.conditionStack.delete(name);
    }
  }

  /** False when the resource is guarded by a condition that does not hold. */
  resourceEnabled(logicalId: string): boolean {
    const resource = this.template.Resources[logicalId];
    if (!resource) return false;
    return (
      resource.Condition === undefined ||
      this.condition(resource.Condition, `Resources.${logicalId}.Condition`)
    );
  }

  private eval(value: unknown, where: string): unknown {
    if (Array.isArray(value)) {
      return value
        .map((item, index) => this.eval(item, `${where}[${index}]`))
        .filter((item) => item !== NO_VALUE);
    }
    if (value === null || typeof value !== "object") return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [key, argument] = entries[0] as [string, unknown];
      if (key === "Ref") return this.ref(argument, where);
      if (key === "Condition" && typeof argument === "string") return this.condition(argument, where);
      if (key.startsWith("Fn::")) return this.fn(key, argument, `${where}.${key}`);
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const evaluated = this.eval(item, `${where}.${key}`);
      if (evaluated !== NO_VALUE) out[key] = evaluated;
    }
    return out;
  }

  private ref(argument: unknown, where: string): unknown {
    if (typeof argument !== "string") throw new TemplateError(`${where}: Ref takes a name`);
    const pseudo = this.pseudo(argument);
    if (pseudo !== undefined) return pseudo;
    const parameter = this.parameters[argument];
    if (parameter !== undefined) return parameter;
    if (this.template.Parameters?.[argument]) {
      throw new TemplateError(`${where}: parameter '${argument}' has no value`);
    }
    return this.resources.ref(argument, this.resourceFor(argument, where), this);
  }

  private pseudo(name: string): unknown {
    switch (name) {
      case "AWS::Region":
        return this.region;
      case "AWS::AccountId":
        return this.accountId;
      case "AWS::Partition":
        return this.partition;
      case "AWS::URLSuffix":
        return this.urlSuffix;
      case "AWS::StackName":
        return this.stackName;
      case "AWS::StackId":
        return `arn:${this.partition}:cloudformation:${this.region}:${this.accountId}:stack/${this.stackName}/${stableUuid(this.stackName)}`;
      case "AWS::NotificationARNs":
        return [];
      case "AWS::NoValue":
        return NO_VALUE;
      default:
        return undefined;
    }
  }

  /** The declared resource, or undefined for a SAM-generated one; throws for unknown or disabled resources. */
  private resourceFor(logicalId: string, where: string): CfnResource | undefined {
    // `!Ref MyApi.Stage` and friends name a SAM-generated part of a resource.
    const base = logicalId.includes(".") ? logicalId.slice(0, logicalId.indexOf(".")) : logicalId;
    const resource = this.template.Resources[base];
    if (resource) {
      if (!this.resourceEnabled(base)) {
        throw new TemplateError(
          `${where}: '${base}' is not created (its condition '${resource.Condition}' is false)`,
        );
      }
      return resource;
    }
    if (this.resources.isGenerated?.(logicalId, this)) return undefined;
    throw new TemplateError(`${where}: unknown parameter or resource '${logicalId}'`);
  }

  private fn(name: string, argument: unknown, where: string): unknown {
    switch (name) {
      case "Fn::GetAtt":
        return this.getAtt(argument, where);
      case "Fn::Sub":
        return this.sub(argument, where);
      case "Fn::Join":
        return this.join(argument, where);
      case "Fn::Select":
        return this.select(argument, where);
      case "Fn::Split": {
        const [delimiter, source] = this.args(argument, 2, where);
        return this.str(source, where).split(this.str(delimiter, where));
      }
      case "Fn::If": {
        const [condition, whenTrue, whenFalse] = this.args(argument, 3, where);
        if (typeof condition !== "string")
          throw new TemplateError(`${where}: the first argument names a condition`);
        return this.condition(condition, where)
          ? this.eval(whenTrue, `${where}[1]`)
          : this.eval(whenFalse, `${where}[2]`);
      }
      case "Fn::Equals": {
        const [left, right] = this.args(argument, 2, where);
        return scalar(this.eval(left, where), where) === scalar(this.eval(right, where), where);
      }
      case "Fn::Not": {
        const [operand] = this.args(argument, 1, where);
        return !this.bool(operand, where);
      }
      case "Fn::And":
      case "Fn::Or": {
        if (!Array.isArray(argument) || argument.length < 2 || argument.length > 10) {
          throw new TemplateError(`${where}: takes 2 to 10 conditions`);
        }
        const values = argument.map((operand, index) => this.bool(operand, `${where}[${index}]`));
        return name === "Fn::And" ? values.every(Boolean) : values.some(Boolean);
      }
      case "Fn::FindInMap":
        return this.findInMap(argument, where);
      case "Fn::Base64":
        return Buffer.from(this.str(argument, where), "utf8").toString("base64");
      case "Fn::GetAZs": {
        const region = this.eval(argument, where);
        const target = typeof region === "string" && region !== "" ? region : this.region;
        return ["a", "b", "c"].map((zone) => `${target}${zone}`);
      }
      case "Fn::ToJsonString":
        return JSON.stringify(this.eval(argument, where));
      case "Fn::Length": {
        const list = this.eval(argument, where);
        if (!Array.isArray(list)) throw new TemplateError(`${where}: takes a list`);
        return list.length;
      }
      default:
        // ImportValue, Cidr, Transform: nothing exports values locally; say so instead of guessing.
        throw new TemplateError(`${where}: ${name} is not supported by the local stack`);
    }
  }

  private getAtt(argument: unknown, where: string): unknown {
    let logicalId: unknown;
    let attribute: unknown;
    if (typeof argument === "string") {
      const dot = argument.indexOf(".");
      logicalId = argument.slice(0, dot);
      attribute = argument.slice(dot + 1);
    } else if (Array.isArray(argument) && argument.length === 2) {
      logicalId = argument[0];
      attribute = this.eval(argument[1], where);
    }
    if (typeof logicalId !== "string" || typeof attribute !== "string" || logicalId === "") {
      throw new TemplateError(`${where}: expected [LogicalId, Attribute]`);
    }
    return this.resources.getAtt(logicalId, this.resourceFor(logicalId, where), attribute, this);
  }

  private sub(argument: unknown, where: string): string {
    let text: unknown = argument;
    let variables: Record<string, unknown> = {};
    if (Array.isArray(argument)) {
      const [body, map] = this.args(argument, 2, where);
      text = body;
      if (map === null || typeof map !== "object" || Array.isArray(map)) {
        throw new TemplateError(`${where}: the second argument is a map of variables`);
      }
      variables = map as Record<string, unknown>;
    }
    if (typeof text !== "string") throw new TemplateError(`${where}: expected a string to substitute`);
    return text.replace(/\$\{([^}]*)\}/g, (_match, expression: string) => {
      // `${!Literal}` is CloudFormation's escape for a literal `${Literal}`.
      if (expression.startsWith("!")) return `\${${expression.slice(1)}}`;
      const name = expression.trim();
      if (name in variables)
        return this.subValue(this.eval(variables[name], `${where}.${name}`), name, where);
      // SAM rewrites `${Fn.Alias}`, `${Fn.Version}`, `${Api.Stage}` and `${Api.Deployment}` into
      // Refs of the resources it generates, as it does `!Ref Fn.Alias`.
      if (!name.includes(".") || name.startsWith("AWS::") || this.isSamReference(name)) {
        return this.subValue(this.ref(name, where), name, where);
      }
      const dot = name.indexOf(".");
      return this.subValue(this.getAtt([name.slice(0, dot), name.slice(dot + 1)], where), name, where);
    });
  }

  private isSamReference(name: string): boolean {
    const [base = "", part = "", ...rest] = name.split(".");
    const type = this.template.Resources[base]?.Type ?? "";
    return rest.length === 0 && (SAM_PARTS[type]?.includes(part) ?? false);
  }

  private subValue(value: unknown, name: string, where: string): string {
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    throw new TemplateError(`${where}: \${${name}} is ${describe(value)}, not a string`);
  }

  private join(argument: unknown, where: string): string {
    const [delimiter, list] = this.args(argument, 2, where);
    const items = this.eval(list, where);
    if (!Array.isArray(items)) throw new TemplateError(`${where}: the second argument must be a list`);
    return items.map((item) => scalar(item, where)).join(this.str(delimiter, where));
  }

  private select(argument: unknown, where: string): unknown {
    const [indexArgument, list] = this.args(argument, 2, where);
    const index = Number(this.eval(indexArgument, where));
    const items = this.eval(list, where);
    if (!Array.isArray(items)) throw new TemplateError(`${where}: the second argument must be a list`);
    if (!Number.isInteger(index) || index < 0 || index >= items.length) {
      throw new TemplateError(`${where}: index ${index} is out of range (list of ${items.length})`);
    }
    return items[index];
  }

  private findInMap(argument: unknown, where: string): unknown {
    if (!Array.isArray(argument) || argument.length < 3) {
      throw new TemplateError(`${where}: expected [MapName, TopLevelKey, SecondLevelKey]`);
    }
    const [mapName, topKey, secondKey] = argument.slice(0, 3).map((item) => this.str(item, where));
    const mappings = (this.template as CfnTemplate & { Mappings?: Mappings }).Mappings ?? {};
    const value = mappings[mapName ?? ""]?.[topKey ?? ""]?.[secondKey ?? ""];
    if (value !== undefined) return value;
    const fallback = argument[3] as { DefaultValue?: unknown } | undefined;
    if (fallback && typeof fallback === "object" && "DefaultValue" in fallback) {
      return this.eval(fallback.DefaultValue, where);
    }
    throw new TemplateError(`${where}: no mapping ${mapName}.${topKey}.${secondKey}`);
  }

  private args(argument: unknown, count: number, where: string): unknown[] {
    if (!Array.isArray(argument) || argument.length !== count) {
      throw new TemplateError(`${where}: expected a list of ${count} arguments`);
    }
    return argument;
  }

  private str(value: unknown, where: string): string {
    const result = this.eval(value, where);
    if (typeof result === "string") return result;
    if (typeof result === "number") return String(result);
    throw new TemplateError(`${where}: expected a string, got ${describe(result)}`);
  }

  private bool(value: unknown, where: string): boolean {
    const result = this.eval(value, where);
    if (typeof result !== "boolean")
      throw new TemplateError(`${where}: expected a condition, got ${describe(result)}`);
    return result;
  }
}

function scalar(value: unknown, where: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new TemplateError(`${where}: expected a string, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === NO_VALUE) return "AWS::NoValue";
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  return typeof value === "object" ? "a map" : typeof value;
}

function rewriteStrings(value: unknown, rewrite: (value: string) => string): unknown {
  if (typeof value === "string") return rewrite(value);
  if (Array.isArray(value)) return value.map((item) => rewriteStrings(item, rewrite));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, rewriteStrings(item, rewrite)]),
    );
  }
  return value;
}

/** A UUID-shaped id derived from a name, so ids stay the same across restarts. */
function stableUuid(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
