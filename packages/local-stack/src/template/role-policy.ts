import { TemplateError } from "../errors";
import {
  IDENTITY_FAILS_CLOSED,
  type IdentityPolicy,
  type IdentityStatement,
  isMap,
  type Reading,
  readPolicyDocument,
  readStatement,
} from "../iam";
import type { CfnResource } from "../project";
import { NO_VALUE, type TemplateEvaluator } from "./intrinsics";

/**
 * Reads the identity-based policy of a function's role from its template, the
 * way SAM and IAM build it (see iam/identity-policy.ts for how it is evaluated
 * and what fails closed).
 */

/**
 * Evaluates a raw policy document statement by statement, so one that cannot
 * be resolved (an attribute the local stack does not model) fails closed alone.
 */
function evaluateDocument(evaluator: TemplateEvaluator, raw: unknown, where: string): Reading {
  if (!isMap(raw) || raw.Statement === undefined || isIntrinsic(raw)) {
    return readPolicyDocument(evaluator.evaluate(raw, where), where);
  }
  const rawStatements = Array.isArray(raw.Statement) ? raw.Statement : [raw.Statement];
  const reading: Reading = { statements: [], warnings: [] };
  rawStatements.forEach((rawStatement, index) => {
    const label = `${where}.Statement[${index}]`;
    let value: unknown;
    try {
      value = evaluator.evaluate(rawStatement, label);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      const effect = isMap(rawStatement) && rawStatement.Effect === "Allow" ? "Allow" : "Deny";
      const problem = `cannot be resolved locally (${error.message})`;
      reading.statements.push({
        label,
        effect,
        match: { Effect: effect, Action: "*", Resource: "*" },
        unsupported: problem,
      });
      reading.warnings.push(`${label}: ${problem}; ${IDENTITY_FAILS_CLOSED}`);
      return;
    }
    if (value === NO_VALUE) return;
    const { statement, problem } = readStatement(value, label);
    reading.statements.push(statement);
    if (problem !== undefined)
      reading.warnings.push(`${statement.label}: ${problem}; ${IDENTITY_FAILS_CLOSED}`);
  });
  return reading;
}

function isIntrinsic(value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === "Ref" || (keys[0]?.startsWith("Fn::") ?? false));
}

/** SAM's `Policies`: a managed policy name or ARN, an inline document, a policy template, or a list of them. */
function readSamPolicies(evaluator: TemplateEvaluator, raw: unknown, where: string): Reading {
  const reading: Reading = { statements: [], warnings: [] };
  const read = (item: unknown, itemWhere: string): void => {
    if (item === undefined || item === NO_VALUE) return;
    if (Array.isArray(item)) {
      item.forEach((entry, index) => {
        read(entry, `${itemWhere}[${index}]`);
      });
      return;
    }
    if (isMap(item) && isIntrinsic(item)) {
      // Fn::If and friends: what they evaluate to is read like any other item.
      read(evaluator.evaluate(item, itemWhere), itemWhere);
      return;
    }
    if (typeof item === "string") {
      reading.warnings.push(
        `${itemWhere}: managed policy '${item}' is not read locally; it grants nothing here (write its statements out under Statement: to have them enforced)`,
      );
      return;
    }
    if (isMap(item) && item.Statement !== undefined) {
      const document = evaluateDocument(evaluator, item, itemWhere);
      reading.statements.push(...document.statements);
      reading.warnings.push(...document.warnings);
      return;
    }
    if (isMap(item) && Object.keys(item).length === 1) {
      reading.warnings.push(
        `${itemWhere}: SAM policy template '${Object.keys(item)[0]}' is not expanded locally; it grants nothing here (write its statements out under Statement: to have them enforced)`,
      );
      return;
    }
    reading.warnings.push(`${itemWhere}: not a policy SAM understands; it grants nothing locally`);
  };
  read(raw, where);
  return reading;
}

/** The logical id of the template's `AWS::IAM::Role` whose ARN is `roleArn`, if any. */
function declaredRole(evaluator: TemplateEvaluator, roleArn: string): string | undefined {
  return Object.entries(evaluator.template.Resources).find(
    ([logicalId, resource]) =>
      resource.Type === "AWS::IAM::Role" &&
      evaluator.resourceEnabled(logicalId) &&
      evaluator.evaluate({ "Fn::GetAtt": [logicalId, "Arn"] }, `Resources.${logicalId}`) === roleArn,
  )?.[0];
}

/** Policies declared as their own resources and attached to the role named `roleName`. */
function attachedPolicies(evaluator: TemplateEvaluator, roleName: string, file: string): Reading {
  const reading: Reading = { statements: [], warnings: [] };
  for (const [logicalId, resource] of Object.entries(evaluator.template.Resources)) {
    const type = resource.Type;
    if (type !== "AWS::IAM::Policy" && type !== "AWS::IAM::ManagedPolicy" && type !== "AWS::IAM::RolePolicy")
      continue;
    if (!evaluator.resourceEnabled(logicalId)) continue;
    const where = `${file}: Resources.${logicalId}`;
    const properties = resource.Properties ?? {};
    const roles = type === "AWS::IAM::RolePolicy" ? [properties.RoleName] : properties.Roles;
    if (roles === undefined) continue;
    let names: unknown;
    try {
      names = evaluator.evaluate(roles, `${where}.Properties.Roles`);
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      reading.warnings.push(`${where}.Properties.Roles: ${error.message}; the policy is not read locally`);
      continue;
    }
    if (!(Array.isArray(names) ? names : [names]).includes(roleName)) continue;
    const document = evaluateDocument(
      evaluator,
      properties.PolicyDocument,
      `${where}.Properties.PolicyDocument`,
    );
    reading.statements.push(...document.statements);
    reading.warnings.push(...document.warnings);
  }
  return reading;
}

/** Managed policies declared by the templates planned so far, by ARN: their evaluated PolicyDocument. */
export type ManagedPolicies = ReadonlyMap<string, unknown>;

/**
 * A role's PermissionsBoundary, read when it names a managed policy some
 * template declares; otherwise it allows nothing (and says so).
 */
function readBoundary(
  evaluator: TemplateEvaluator,
  raw: unknown,
  where: string,
  managed: ManagedPolicies,
): { boundary: string; statements?: IdentityStatement[]; warnings: string[] } {
  let arn: unknown;
  try {
    arn = evaluator.evaluate(raw, `${where}.PermissionsBoundary`);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    arn = undefined;
  }
  const document = typeof arn === "string" ? managed.get(arn) : undefined;
  if (document === undefined) {
    return {
      boundary: String(arn ?? "PermissionsBoundary"),
      warnings: [
        `${where}: PermissionsBoundary ${typeof arn === "string" ? `'${arn}' ` : ""}is not a managed policy declared in a template run locally; it allows nothing here, so every AWS call of this function is denied`,
      ],
    };
  }
  const reading = readPolicyDocument(document, `${where}.PermissionsBoundary`);
  return { boundary: String(arn), statements: reading.statements, warnings: reading.warnings };
}

/**
 * The identity policy of the role a function runs as; `file` names the
 * template in warnings (`src/<service>/template.yaml`).
 */
export function functionIdentityPolicy(
  evaluator: TemplateEvaluator,
  logicalId: string,
  resource: CfnResource,
  file: string,
  managedPolicies: ManagedPolicies = new Map(),
): { policy: IdentityPolicy; warnings: string[] } {
  const where = `${file}: Resources.${logicalId}`;
  const rawRole = resource.Properties?.Role;
  const role = rawRole === undefined ? NO_VALUE : evaluator.evaluate(rawRole, `${where}.Properties.Role`);
  const warnings: string[] = [];
  const statements: IdentityStatement[] = [];
  const add = (reading: Reading): void => {
    statements.push(...reading.statements);
    warnings.push(...reading.warnings);
  };
  const withBoundary = (
    raw: unknown,
    boundaryWhere: string,
  ): { policy: IdentityPolicy; warnings: string[] } => {
    if (raw === undefined) return { policy: { statements }, warnings };
    const read = readBoundary(evaluator, raw, boundaryWhere, managedPolicies);
    warnings.push(...read.warnings);
    return {
      policy: {
        statements,
        boundary: read.boundary,
        ...(read.statements ? { boundaryStatements: read.statements } : {}),
      },
      warnings,
    };
  };
  if (role === undefined || role === NO_VALUE) {
    add(readSamPolicies(evaluator, resource.Properties?.Policies, `${where}.Properties.Policies`));
    const generated = `${logicalId}Role`;
    add(attachedPolicies(evaluator, String(evaluator.evaluate({ Ref: generated }, `${where}.Role`)), file));
    return withBoundary(
      resource.Properties?.PermissionsBoundary ?? evaluator.template.Globals?.Function?.PermissionsBoundary,
      `${where}.Properties`,
    );
  }
  if (resource.Properties?.Policies !== undefined) {
    warnings.push(
      `${where}.Properties.Policies: SAM ignores Policies when Role is set; so does the local stack`,
    );
  }
  const roleId = typeof role === "string" ? declaredRole(evaluator, role) : undefined;
  const declared = roleId === undefined ? undefined : evaluator.template.Resources[roleId];
  if (roleId === undefined || declared === undefined) {
    warnings.push(
      `${where}.Properties.Role: a role not declared in this template; its policies are unknown locally, so it is allowed nothing`,
    );
    return { policy: { statements }, warnings };
  }
  const roleWhere = `${file}: Resources.${roleId}.Properties`;
  const properties = declared.Properties ?? {};
  const inline = properties.Policies;
  if (Array.isArray(inline)) {
    inline.forEach((entry, index) => {
      const document = isMap(entry) ? entry.PolicyDocument : undefined;
      add(evaluateDocument(evaluator, document, `${roleWhere}.Policies[${index}].PolicyDocument`));
    });
  }
  const managed =
    properties.ManagedPolicyArns === undefined
      ? []
      : evaluator.evaluate(properties.ManagedPolicyArns, `${roleWhere}.ManagedPolicyArns`);
  for (const arn of Array.isArray(managed) ? managed : [managed]) {
    warnings.push(
      `${roleWhere}.ManagedPolicyArns: managed policy '${String(arn)}' is not read locally; it grants nothing here`,
    );
  }
  add(attachedPolicies(evaluator, String(evaluator.evaluate({ Ref: roleId }, `${roleWhere}`)), file));
  return withBoundary(properties.PermissionsBoundary, roleWhere);
}
