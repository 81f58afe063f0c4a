import type { CfnResource, CfnTemplate } from "./cfn-yaml";
import type { NestedTemplate } from "./project";

/**
 * A service's template with the stacks it nests from local templates
 * (src/shared/templates) written into it, so a reader (the template tests,
 * say) sees every resource the service deploys in one place, linked as
 * CloudFormation links them: a nested resource's logical id is prefixed with
 * the nesting resource's (`PutLocationAlarms` + `ErrorsAlarm`), a nested
 * parameter is replaced by what the parent passes (`!Ref PutLocationFunction`),
 * `!GetAtt <Nested>.Outputs.<Name>` by the output's value, and a nested
 * condition is decided from the values passed (a reference the parent passes
 * is never empty). Nested resources keep a `Metadata.NestedStack` naming
 * their stack; SAM Globals of the parent do not apply to them (samProperties).
 */
export function inlineNestedStacks(
  template: CfnTemplate,
  applications: Record<string, NestedTemplate> | undefined,
): CfnTemplate {
  let out = structuredClone(template);
  for (const [appId, application] of Object.entries(applications ?? {})) {
    const nesting = out.Resources[appId];
    if (!nesting) continue;
    const child = inlineNestedStacks(application.template, application.applications);
    const scope = nestedScope(
      appId,
      child,
      (nesting.Properties?.Parameters ?? {}) as Record<string, unknown>,
    );
    for (const [id, resource] of Object.entries(child.Resources)) {
      if (resource.Condition !== undefined && !scope.condition(resource.Condition)) continue;
      const { Condition: _condition, ...rest } = scope.substitute(resource) as CfnResource;
      out.Resources[`${appId}${id}`] = { ...rest, Metadata: { ...rest.Metadata, NestedStack: appId } };
    }
    const outputs = new Map<string, unknown>();
    for (const [name, output] of Object.entries(child.Outputs ?? {})) {
      const condition = (output as { Condition?: string }).Condition;
      if (condition === undefined || scope.condition(condition))
        outputs.set(name, scope.substitute(output.Value));
    }
    out = replaceOutputs(out, appId, outputs);
  }
  return out;
}

type Fragment = unknown;

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** How one nested template's fragments read in its parent. */
function nestedScope(appId: string, child: CfnTemplate, passed: Record<string, unknown>) {
  const values = new Map<string, Fragment>();
  for (const [name, declaration] of Object.entries(child.Parameters ?? {})) {
    const value = passed[name] ?? declaration.Default;
    if (value !== undefined) values.set(name, typeof value === "number" ? String(value) : value);
  }
  const rename = (id: string): string => (id in child.Resources ? `${appId}${id}` : id);
  const decided = new Map<string, boolean>();
  const scope = {
    substitute(node: Fragment): Fragment {
      if (Array.isArray(node)) return node.map((item) => scope.substitute(item));
      if (!isMap(node)) return node;
      const [key, argument] = Object.entries(node)[0] ?? [];
      if (Object.keys(node).length === 1 && key !== undefined) {
        if (key === "Ref" && typeof argument === "string")
          return values.has(argument) ? structuredClone(values.get(argument)) : { Ref: rename(argument) };
        if (key === "Fn::GetAtt") return { "Fn::GetAtt": getAttArguments(argument, rename) };
        if (key === "Fn::Sub") return substituteSub(argument, values, rename, scope.substitute);
        if (key === "Fn::If" && Array.isArray(argument)) {
          const [condition, whenTrue, whenFalse] = argument as [string, Fragment, Fragment];
          return scope.substitute(scope.condition(condition) ? whenTrue : whenFalse);
        }
      }
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, scope.substitute(v)]));
    },
    condition(name: string): boolean {
      const known = decided.get(name);
      if (known !== undefined) return known;
      const value = decide(scope.substitute(child.Conditions?.[name]), name);
      decided.set(name, value);
      return value;
    },
  };
  return scope;
}

function getAttArguments(argument: unknown, rename: (id: string) => string): unknown {
  if (typeof argument === "string") {
    const dot = argument.indexOf(".");
    return [rename(argument.slice(0, dot)), argument.slice(dot + 1)];
  }
  if (Array.isArray(argument) && typeof argument[0] === "string") return [rename(argument[0]), argument[1]];
  return argument;
}

/** `${Name}` of a parameter becomes its text, or a variable bound to the fragment passed; resources are renamed. */
function substituteSub(
  argument: unknown,
  values: Map<string, Fragment>,
  rename: (id: string) => string,
  substitute: (node: Fragment) => Fragment,
): Fragment {
  const [text, variables] = Array.isArray(argument)
    ? [String(argument[0]), (argument[1] ?? {}) as Record<string, unknown>]
    : [String(argument), {}];
  const bound: Record<string, unknown> = Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [name, substitute(value)]),
  );
  const replaced = text.replace(/\$\{([^}!]+)\}/g, (match, token: string) => {
    const [base = "", ...rest] = token.split(".");
    if (base in variables || base.startsWith("AWS::")) return match;
    const value = values.get(base);
    if (value === undefined) return `\${${[rename(base), ...rest].join(".")}}`;
    if (typeof value === "string") return value;
    const reference = asSubReference(value);
    if (reference !== undefined && rest.length === 0) return `\${${reference}}`;
    bound[base] = structuredClone(value);
    return match;
  });
  return Object.keys(bound).length === 0 ? { "Fn::Sub": replaced } : { "Fn::Sub": [replaced, bound] };
}

/** `!Ref X` and `!GetAtt X.Y` read the same as `${X}` and `${X.Y}` in a Sub. */
function asSubReference(value: Fragment): string | undefined {
  if (!isMap(value) || Object.keys(value).length !== 1) return undefined;
  if (typeof value.Ref === "string") return value.Ref;
  const getAtt = value["Fn::GetAtt"];
  if (typeof getAtt === "string") return getAtt;
  if (Array.isArray(getAtt) && getAtt.every((part) => typeof part === "string")) return getAtt.join(".");
  return undefined;
}

const UNKNOWN = Symbol("a reference the parent passes");

function staticValue(node: Fragment): unknown {
  if (typeof node === "string" || typeof node === "number" || typeof node === "boolean") return node;
  if (Array.isArray(node)) return node.map(staticValue);
  if (isMap(node) && Array.isArray(node["Fn::Join"])) {
    const [delimiter, items] = node["Fn::Join"] as [string, unknown];
    const parts = ([] as unknown[]).concat(staticValue(items)).flat();
    return parts.includes(UNKNOWN) ? UNKNOWN : parts.join(delimiter);
  }
  return UNKNOWN;
}

function decide(node: Fragment, name: string): boolean {
  if (!isMap(node)) throw new Error(`condition ${name}: not a condition function`);
  const [key, argument] = Object.entries(node)[0] ?? [];
  const args = (Array.isArray(argument) ? argument : []) as Fragment[];
  if (key === "Fn::Not") return !decide(args[0], name);
  if (key === "Fn::And") return args.every((arg) => decide(arg, name));
  if (key === "Fn::Or") return args.some((arg) => decide(arg, name));
  if (key === "Fn::Equals") {
    const [left, right] = args.map(staticValue);
    if (left !== UNKNOWN && right !== UNKNOWN) return JSON.stringify(left) === JSON.stringify(right);
    if (left === "" || right === "") return false;
  }
  throw new Error(`condition ${name}: cannot be decided from the values passed`);
}

/** `!GetAtt <appId>.Outputs.<Name>` (or `${appId.Outputs.Name}` in a Sub) -> the output's value. */
function replaceOutputs(template: CfnTemplate, appId: string, outputs: Map<string, unknown>): CfnTemplate {
  const outputOf = (attribute: unknown): unknown => {
    const name = String(attribute).replace(/^Outputs\./, "");
    if (!outputs.has(name)) throw new Error(`${appId}: no output ${name}`);
    return structuredClone(outputs.get(name));
  };
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!isMap(node)) return node;
    const getAtt = node["Fn::GetAtt"];
    if (Object.keys(node).length === 1 && getAtt !== undefined) {
      const [id, attribute] = typeof getAtt === "string" ? getAtt.split(/\.(.*)/s) : (getAtt as unknown[]);
      if (id === appId) return outputOf(attribute);
    }
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, visit(value)]));
  };
  return visit(template) as CfnTemplate;
}

/** The service as it deploys: its template with its nested stacks written in (inlineNestedStacks). */
export function withNestedStacks<
  T extends { template: CfnTemplate; applications?: Record<string, NestedTemplate> },
>(service: T): T {
  // Written in, they are no longer nested: readers see each resource once.
  return {
    ...service,
    template: inlineNestedStacks(service.template, service.applications),
    applications: undefined,
  };
}
