import { isMap, type PolicyStatement, statementApplies, strings } from "./policy";

/**
 * The identity-based IAM policy of a function's role, read from its template
 * the way SAM and IAM build it, and evaluated as IAM does for one action on one
 * resource: an explicit Deny wins, then an Allow is needed; nothing is an
 * implicit deny.
 *
 * Where the statements come from:
 * - SAM's generated role (`<LogicalId>Role`): the function's `Policies`
 *   (inline `Statement:` documents), plus `AWS::IAM::Policy`,
 *   `AWS::IAM::ManagedPolicy` and `AWS::IAM::RolePolicy` resources of the
 *   template attached to that role. What SAM adds by itself
 *   (AWSLambdaBasicExecutionRole for logs, X-Ray with `Tracing`, event-source
 *   policies) covers nothing a function calls locally.
 * - An explicit `Role: !GetAtt SomeRole.Arn` (SAM then ignores `Policies`):
 *   that `AWS::IAM::Role`'s inline `Policies` and the policies attached to it.
 *
 * What cannot be read locally fails closed and is reported at start: a managed
 * policy (by name or ARN), a SAM policy template (`DynamoDBCrudPolicy`, ...),
 * a role not declared in the template grant nothing; a statement with a
 * Condition, a Principal or a policy variable never allows, and if it is a
 * Deny it always applies (to the actions and resources it names). A
 * permissions boundary is evaluated when its managed policy is declared in a
 * template the local stack runs (the ops stack's, reached through SSM): a
 * request must then be allowed by both, as in IAM; a boundary that cannot be
 * read allows nothing, so nothing is allowed.
 */

export interface IdentityStatement {
  /** Where it came from: `Policies[0].Statement[1]`, or its Sid. */
  label: string;
  effect: "Allow" | "Deny";
  /** Action/NotAction and Resource/NotResource, matched with policy.ts's wildcards. */
  match: PolicyStatement;
  /** Why it cannot be evaluated locally: such an Allow never applies, such a Deny always does. */
  unsupported?: string;
}

export interface IdentityPolicy {
  statements: IdentityStatement[];
  /** Where the permissions boundary comes from; without `boundaryStatements` it allows nothing. */
  boundary?: string;
  /** The boundary's statements, when its policy was read: the ceiling of what `statements` allow. */
  boundaryStatements?: IdentityStatement[];
}

export type IdentityDecision =
  | { decision: "ALLOW"; statement: string }
  | { decision: "EXPLICIT_DENY"; statement: string }
  | { decision: "IMPLICIT_DENY"; by: "identity" | "boundary" };

/** One action on one resource, as IAM authorizes it. */
export interface AccessCheck {
  action: string;
  resource: string;
}

/** How an identity statement that cannot be read locally is treated. */
export const IDENTITY_FAILS_CLOSED = "an Allow with it never applies, a Deny always does";

/** One statement of an evaluated policy document; `problem` when it fails closed. */
export function readStatement(
  value: unknown,
  label: string,
): { statement: IdentityStatement; problem?: string } {
  const raw = isMap(value) ? value : {};
  const named = typeof raw.Sid === "string" && raw.Sid !== "" ? `${label} '${raw.Sid}'` : label;
  const match: PolicyStatement = {
    Effect: String(raw.Effect),
    Action: strings(raw.Action),
    NotAction: strings(raw.NotAction),
    Resource: strings(raw.Resource),
    NotResource: strings(raw.NotResource),
  };
  // Anything but an Allow counts as a Deny, so a malformed Effect cannot let a request through.
  const effect = raw.Effect === "Allow" ? "Allow" : "Deny";
  const hasAction = match.Action !== undefined || match.NotAction !== undefined;
  const hasResource = match.Resource !== undefined || match.NotResource !== undefined;
  const usesVariable = [...(match.Resource ?? []), ...(match.NotResource ?? [])].some((item) =>
    item.includes("${"),
  );
  let problem: string | undefined;
  if (!isMap(value)) problem = "the statement is not a map";
  else if (raw.Effect !== "Allow" && raw.Effect !== "Deny")
    problem = `Effect '${String(raw.Effect)}' is neither Allow nor Deny`;
  else if (raw.Principal !== undefined || raw.NotPrincipal !== undefined)
    problem = "an identity-based policy cannot name a Principal";
  else if (raw.Condition !== undefined) problem = "conditions are not evaluated locally";
  else if (match.Action !== undefined && match.NotAction !== undefined)
    problem = "a statement has Action or NotAction, not both";
  else if (match.Resource !== undefined && match.NotResource !== undefined)
    problem = "a statement has Resource or NotResource, not both";
  else if (!hasAction)
    problem =
      (raw.Action ?? raw.NotAction) === undefined
        ? "the statement has no Action"
        : "Action is not a list of strings";
  else if (!hasResource)
    problem =
      (raw.Resource ?? raw.NotResource) === undefined
        ? "the statement has no Resource"
        : "Resource is not a list of strings";
  else if (usesVariable) problem = "it uses a policy variable, which is not resolved locally";
  if (problem === undefined) return { statement: { label: named, effect, match } };
  // What could not be read matches everything, so a Deny that cannot be evaluated denies all it might cover.
  const broad: PolicyStatement = {
    Effect: effect,
    ...(hasAction ? { Action: match.Action, NotAction: match.NotAction } : { Action: "*" }),
    ...(hasResource && !usesVariable
      ? { Resource: match.Resource, NotResource: match.NotResource }
      : { Resource: "*" }),
  };
  return { statement: { label: named, effect, match: broad, unsupported: problem }, problem };
}

export interface Reading {
  statements: IdentityStatement[];
  warnings: string[];
}

/** An evaluated policy document (`{Version?, Statement}`); `where` names it in labels and warnings. */
export function readPolicyDocument(document: unknown, where: string): Reading {
  if (!isMap(document) || document.Statement === undefined) {
    return {
      statements: [],
      warnings: [`${where}: not a policy document with a Statement; it grants nothing locally`],
    };
  }
  const raw = document.Statement;
  const items = Array.isArray(raw) ? raw : [raw];
  const reading: Reading = { statements: [], warnings: [] };
  items.forEach((item, index) => {
    const label = Array.isArray(raw) ? `${where}.Statement[${index}]` : `${where}.Statement`;
    const { statement, problem } = readStatement(item, label);
    reading.statements.push(statement);
    if (problem !== undefined)
      reading.warnings.push(`${statement.label}: ${problem}; ${IDENTITY_FAILS_CLOSED}`);
  });
  return reading;
}

export function evaluateIdentityPolicy(
  policy: IdentityPolicy,
  action: string,
  resource: string,
): IdentityDecision {
  let allowedBy: string | undefined;
  for (const statement of policy.statements) {
    if (statement.unsupported !== undefined && statement.effect === "Allow") continue;
    if (!statementApplies(statement.match, action, resource)) continue;
    if (statement.effect === "Deny") return { decision: "EXPLICIT_DENY", statement: statement.label };
    allowedBy ??= statement.label;
  }
  if (allowedBy === undefined) return { decision: "IMPLICIT_DENY", by: "identity" };
  if (policy.boundary === undefined) return { decision: "ALLOW", statement: allowedBy };
  if (policy.boundaryStatements === undefined) return { decision: "IMPLICIT_DENY", by: "boundary" };
  const boundary = evaluateIdentityPolicy({ statements: policy.boundaryStatements }, action, resource);
  if (boundary.decision === "EXPLICIT_DENY") return boundary;
  if (boundary.decision === "IMPLICIT_DENY") return { decision: "IMPLICIT_DENY", by: "boundary" };
  return { decision: "ALLOW", statement: allowedBy };
}

/** The first of `checks` the policy does not allow, with why; undefined when it allows them all. */
export function firstDenied(
  policy: IdentityPolicy,
  checks: AccessCheck[],
): { check: AccessCheck; decision: Exclude<IdentityDecision, { decision: "ALLOW" }> } | undefined {
  for (const check of checks) {
    const decision = evaluateIdentityPolicy(policy, check.action, check.resource);
    if (decision.decision !== "ALLOW") return { check, decision };
  }
  return undefined;
}

/** AWS's wording for a request its caller's identity policy does not allow. */
export function identityDeniedMessage(
  userArn: string,
  check: AccessCheck,
  decision: Exclude<IdentityDecision, { decision: "ALLOW" }>,
): string {
  const head = `User: ${userArn} is not authorized to perform: ${check.action} on resource: ${check.resource}`;
  if (decision.decision === "EXPLICIT_DENY")
    return `${head} with an explicit deny in an identity-based policy`;
  return decision.by === "boundary"
    ? `${head} because no permissions boundary allows the ${check.action} action`
    : `${head} because no identity-based policy allows the ${check.action} action`;
}
