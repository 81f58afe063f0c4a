import { TemplateError } from "../errors";
import type { CfnResource, CfnTemplate, NestedTemplate } from "../project";
import {
  type EvaluatorOptions,
  type ParameterValue,
  type ResourceModel,
  TemplateEvaluator,
} from "./intrinsics";
import { expandLanguageExtensions } from "./language-extensions";

/**
 * Nested stacks from local templates (`AWS::Serverless::Application` with a
 * path `Location`, as `sam build` and `sam package` upload them): each is
 * evaluated as CloudFormation would create it, a stack of its own named
 * `<parent>-<LogicalId>` whose parameters are the parent's `Parameters`
 * evaluated in the parent, and whose `Outputs` the parent reads with
 * `!GetAtt <LogicalId>.Outputs.<Name>`.
 */

const NESTED_STACK_TYPES = new Set(["AWS::Serverless::Application", "AWS::CloudFormation::Stack"]);

export interface NestedStack {
  logicalId: string;
  templatePath: string;
  template: CfnTemplate;
  evaluator: TemplateEvaluator;
  /** The stacks this one nests in turn. */
  nested(): NestedStack[];
}

export interface NestingOptions extends EvaluatorOptions {
  /** The templates this one nests, by logical id (ProjectService.applications). */
  applications?: Record<string, NestedTemplate>;
  /** Names the template in errors. */
  file: string;
}

/** An evaluator for a template that can read its nested stacks' outputs, and those stacks. */
export function evaluatorWithNested(options: NestingOptions): {
  evaluator: TemplateEvaluator;
  nested(): NestedStack[];
} {
  const stacks = new Map<string, NestedStack>();
  const base = options.resources;
  if (!base) throw new TemplateError(`${options.file}: nested stacks need a resource model`);
  const stackOf = (logicalId: string): NestedStack => {
    const known = stacks.get(logicalId);
    if (known) return known;
    const created = nestedStack(evaluator, logicalId, options);
    stacks.set(logicalId, created);
    return created;
  };
  const resources: ResourceModel = {
    ...base,
    getAtt(logicalId, resource, attribute, self) {
      if (!resource || !NESTED_STACK_TYPES.has(resource.Type) || !attribute.startsWith("Outputs.")) {
        return base.getAtt(logicalId, resource, attribute, self);
      }
      return outputOf(stackOf(logicalId), attribute.slice("Outputs.".length));
    },
  };
  const evaluator: TemplateEvaluator = new TemplateEvaluator({ ...options, resources });
  const nested = (): NestedStack[] =>
    Object.entries(options.template.Resources)
      .filter(([logicalId, resource]) => isNestedStack(resource) && evaluator.resourceEnabled(logicalId))
      .map(([logicalId]) => stackOf(logicalId));
  return { evaluator, nested };
}

function isNestedStack(resource: CfnResource): boolean {
  return NESTED_STACK_TYPES.has(resource.Type);
}

function nestedStack(parent: TemplateEvaluator, logicalId: string, options: NestingOptions): NestedStack {
  const where = `${options.file}: Resources.${logicalId}`;
  const declared = options.applications?.[logicalId];
  if (!declared) {
    throw new TemplateError(
      `${where}: a nested stack is run locally only from a local template path (Location), read with its parent`,
    );
  }
  const template = expandLanguageExtensions(declared.template, declared.templatePath);
  const resource = options.template.Resources[logicalId];
  const given = parent.evaluate(resource?.Properties?.Parameters ?? {}, `${where}.Properties.Parameters`);
  const { evaluator, nested } = evaluatorWithNested({
    ...options,
    template,
    stackName: `${parent.stackName}-${logicalId}`,
    parameters: nestedParameters(template, given as Record<string, unknown>, where),
    applications: declared.applications,
    file: declared.templatePath,
  });
  return { logicalId, templatePath: declared.templatePath, template, evaluator, nested };
}

/** What the nested template's parameters are: the values passed, else their defaults. */
function nestedParameters(
  template: CfnTemplate,
  given: Record<string, unknown>,
  where: string,
): Record<string, ParameterValue> {
  for (const name of Object.keys(given)) {
    if (!(name in (template.Parameters ?? {})))
      throw new TemplateError(
        `${where}.Properties.Parameters.${name}: not a parameter of the nested template`,
      );
  }
  const values: Record<string, ParameterValue> = {};
  for (const [name, declaration] of Object.entries(template.Parameters ?? {})) {
    const value = given[name] ?? declaration.Default;
    if (value === undefined) throw new TemplateError(`${where}.Properties.Parameters.${name}: no value`);
    const text = Array.isArray(value) ? value.join(",") : String(value);
    values[name] = /^List<|CommaDelimitedList/.test(declaration.Type) ? text.split(",") : text;
  }
  return values;
}

function outputOf(stack: NestedStack, name: string): unknown {
  const output = stack.template.Outputs?.[name];
  if (!output) throw new TemplateError(`${stack.templatePath}: Outputs.${name}: no such output`);
  return stack.evaluator.evaluate(output.Value, `${stack.templatePath}: Outputs.${name}`);
}
