import { BlockList, isIP } from "node:net";
import { isMap, type PolicyStatement, statementApplies, strings, wildcardMatch } from "./policy";

/**
 * API Gateway resource policies (SAM's `Auth.ResourcePolicy`) evaluated for
 * one request as API Gateway does: statements whose Principal, Action,
 * Resource and Condition all cover the request count; an explicit Deny wins,
 * then an Allow; nothing is an implicit deny.
 *
 * What cannot be evaluated locally fails closed instead of passing: a
 * statement with an unknown condition operator or key, NotPrincipal, or a
 * policy variable always applies when it is a Deny and never when it is an
 * Allow; a SAM shorthand key (AwsAccountWhitelist, IpRangeBlacklist, ...)
 * denies every request the policy governs. Each is reported once at start.
 */

export interface PolicyScope {
  partition: string;
  region: string;
  accountId: string;
  apiId: string;
}

/** Who made the request, as the policy sees it. */
export type PolicyCaller =
  | { kind: "anonymous" }
  | {
      kind: "role";
      /** `arn:aws:iam::<account>:role<path><name>`: what aws:PrincipalArn holds. */
      roleArn: string;
      /** `arn:aws:sts::<account>:assumed-role/<name>/<session>`: the name AWS's messages give the caller. */
      sessionArn: string;
      accountId: string;
    };

export interface ResourcePolicyRequest {
  caller: PolicyCaller;
  sourceIp: string;
  methodArn: string;
}

type Principal = { kind: "anyone" } | { kind: "aws"; values: string[] };

type ConditionOperator =
  | "StringEquals"
  | "StringNotEquals"
  | "StringLike"
  | "StringNotLike"
  | "ArnEquals"
  | "ArnNotEquals"
  | "ArnLike"
  | "ArnNotLike"
  | "IpAddress"
  | "NotIpAddress"
  | "Null";

interface ConditionTest {
  operator: ConditionOperator;
  /** `...IfExists`: a missing key satisfies the test. */
  ifExists: boolean;
  /** Lower case: condition key names are case-insensitive. */
  key: string;
  values: string[];
}

export interface ResourcePolicyStatement {
  /** `Sid`, else the statement's position; names it in messages. */
  label: string;
  effect: "Allow" | "Deny";
  principal: Principal;
  /** Action/NotAction and Resource/NotResource, `execute-api:/...` expanded to ARNs. */
  match: PolicyStatement;
  conditions: ConditionTest[];
  /** Why the statement cannot be evaluated locally; it then fails closed. */
  unsupported?: string;
}

export interface ResourcePolicy {
  statements: ResourcePolicyStatement[];
  /** SAM shorthand keys that are not emulated: the policy denies every request it governs. */
  unsupportedKeys: string[];
}

export type ResourcePolicyDecision =
  | { decision: "ALLOW"; statement: string }
  | { decision: "EXPLICIT_DENY"; statement: string }
  | { decision: "IMPLICIT_DENY" };

const ACTION = "execute-api:Invoke";

/** SAM's ResourcePolicyStatement keys that generate statements; none but CustomStatements is emulated. */
const SAM_SHORTHAND_KEYS = [
  "AwsAccountBlacklist",
  "AwsAccountWhitelist",
  "IntrinsicVpcBlacklist",
  "IntrinsicVpcWhitelist",
  "IntrinsicVpceBlacklist",
  "IntrinsicVpceWhitelist",
  "IpRangeBlacklist",
  "IpRangeWhitelist",
  "SourceVpcBlacklist",
  "SourceVpcWhitelist",
];

const OPERATORS = new Set<string>([
  "StringEquals",
  "StringNotEquals",
  "StringLike",
  "StringNotLike",
  "ArnEquals",
  "ArnNotEquals",
  "ArnLike",
  "ArnNotLike",
  "IpAddress",
  "NotIpAddress",
  "Null",
]);

const NEGATED = new Set<ConditionOperator>([
  "StringNotEquals",
  "StringNotLike",
  "ArnNotEquals",
  "ArnNotLike",
  "NotIpAddress",
]);

/** The request context keys the local gateway knows; any other key in a condition fails closed. */
const KNOWN_KEYS = new Set(["aws:principalarn", "aws:principalaccount", "aws:sourceip"]);

const FAILS_CLOSED = "a Deny with it always applies, an Allow never does";

/**
 * `execute-api:/<stage>/<METHOD>/<path>` is API Gateway's shorthand for this
 * API's method ARNs; it is expanded with the API's own id, Region and account
 * when the policy is saved.
 */
export function expandResource(resource: string, scope: PolicyScope): string {
  return resource.startsWith("execute-api:/")
    ? `arn:${scope.partition}:execute-api:${scope.region}:${scope.accountId}:${scope.apiId}/${resource.slice("execute-api:/".length)}`
    : resource;
}

/** The IPv4/IPv6 block a condition value names, or undefined when it is not an address or CIDR. */
function cidrBlock(value: string): BlockList | undefined {
  const [address = "", prefixText] = value.split("/", 2);
  const family = isIP(address);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  const block = new BlockList();
  block.addSubnet(address, prefix, family === 4 ? "ipv4" : "ipv6");
  return block;
}

function parsePrincipal(value: unknown): Principal | string {
  if (value === "*") return { kind: "anyone" };
  if (!isMap(value)) return 'Principal must be "*" or a map';
  if (Object.keys(value).length === 0) return "Principal is empty";
  const aws = value.AWS === undefined ? [] : strings(value.AWS);
  if (aws === undefined) return "Principal.AWS must be a string or a list of strings";
  if (aws.includes("*")) return { kind: "anyone" };
  // Service, Federated and CanonicalUser principals are kept out: they are never the callers of a local API.
  return { kind: "aws", values: aws };
}

function parseConditions(value: unknown): ConditionTest[] | string {
  if (value === undefined) return [];
  if (!isMap(value)) return "Condition must be a map";
  const tests: ConditionTest[] = [];
  for (const [operatorName, block] of Object.entries(value)) {
    const ifExists = operatorName.endsWith("IfExists") && operatorName !== "IfExists";
    const operator = ifExists ? operatorName.slice(0, -"IfExists".length) : operatorName;
    if (!OPERATORS.has(operator) || (ifExists && operator === "Null")) {
      return `condition operator '${operatorName}' is not evaluated locally`;
    }
    if (!isMap(block)) return `Condition.${operatorName} must be a map of keys to values`;
    for (const [key, raw] of Object.entries(block)) {
      if (!KNOWN_KEYS.has(key.toLowerCase())) return `condition key '${key}' is not known locally`;
      const values = strings(raw);
      if (values === undefined)
        return `Condition.${operatorName}.${key} must be a string or a list of strings`;
      // Policy variables (`${aws:username}`) are resolved per request by IAM; not here.
      if (values.some((item) => item.includes("${")))
        return `Condition.${operatorName}.${key} uses a policy variable, which is not resolved locally`;
      if (
        (operator === "IpAddress" || operator === "NotIpAddress") &&
        values.some((item) => cidrBlock(item) === undefined)
      ) {
        return `Condition.${operatorName}.${key} holds a value that is not an IP address or CIDR block`;
      }
      if (operator === "Null" && values.some((item) => item !== "true" && item !== "false"))
        return `Condition.Null.${key} must be "true" or "false"`;
      tests.push({ operator: operator as ConditionOperator, ifExists, key: key.toLowerCase(), values });
    }
  }
  return tests;
}

function parseStatement(
  value: unknown,
  index: number,
  scope: PolicyScope,
): { statement: ResourcePolicyStatement; problem?: string } {
  const raw = isMap(value) ? value : {};
  const label = typeof raw.Sid === "string" && raw.Sid !== "" ? `'${raw.Sid}'` : `#${index + 1}`;
  const expand = (items: string[] | undefined): string[] | undefined =>
    items?.map((item) => expandResource(item, scope));
  const match: PolicyStatement = {
    Effect: String(raw.Effect),
    Action: strings(raw.Action),
    NotAction: strings(raw.NotAction),
    Resource: expand(strings(raw.Resource)),
    NotResource: expand(strings(raw.NotResource)),
  };
  // Anything but an Allow is treated as a Deny, so a malformed Effect cannot let a request through.
  const effect = raw.Effect === "Allow" ? "Allow" : "Deny";
  const principal =
    raw.Principal === undefined
      ? "a resource policy statement needs a Principal"
      : parsePrincipal(raw.Principal);
  const conditions = parseConditions(raw.Condition);
  let problem: string | undefined;
  if (!isMap(value)) problem = "the statement is not a map";
  else if (raw.Effect !== "Allow" && raw.Effect !== "Deny")
    problem = `Effect '${String(raw.Effect)}' is neither Allow nor Deny`;
  else if (raw.NotPrincipal !== undefined) problem = "NotPrincipal is not evaluated locally";
  else if (typeof principal === "string") problem = principal;
  else if (typeof conditions === "string") problem = conditions;
  else if (!match.Action && !match.NotAction) problem = "the statement has no Action";
  else if (!match.Resource && !match.NotResource) problem = "the statement has no Resource";
  if (problem === undefined && typeof principal !== "string" && typeof conditions !== "string") {
    return { statement: { label, effect, principal, match, conditions } };
  }
  // What could not be read matches everything, so a Deny that cannot be evaluated denies all it might cover.
  const broad: PolicyStatement = {
    Effect: effect,
    ...(match.Action || match.NotAction
      ? { Action: match.Action, NotAction: match.NotAction }
      : { Action: "*" }),
    ...(match.Resource || match.NotResource
      ? { Resource: match.Resource, NotResource: match.NotResource }
      : { Resource: "*" }),
  };
  const reason = problem ?? "the statement is malformed";
  return {
    statement: {
      label,
      effect,
      principal: { kind: "anyone" },
      match: broad,
      conditions: [],
      unsupported: reason,
    },
    problem: reason,
  };
}

/**
 * Reads an evaluated `Auth.ResourcePolicy`; undefined when the API has none.
 * `warnings` name what fails closed; `where` prefixes them.
 */
export function parseResourcePolicy(
  value: unknown,
  scope: PolicyScope,
  where: string,
): { policy?: ResourcePolicy; warnings: string[] } {
  if (value === undefined) return { warnings: [] };
  if (!isMap(value)) {
    return {
      policy: { statements: [], unsupportedKeys: ["(not a map)"] },
      warnings: [`${where}: ResourcePolicy is not a map; every request it governs is denied locally`],
    };
  }
  const warnings: string[] = [];
  const unsupportedKeys: string[] = [];
  for (const key of Object.keys(value)) {
    if (key === "CustomStatements") continue;
    unsupportedKeys.push(key);
    warnings.push(
      SAM_SHORTHAND_KEYS.includes(key)
        ? `${where}: ResourcePolicy.${key} is not emulated locally; every request the policy governs is denied (use CustomStatements)`
        : `${where}: ResourcePolicy.${key} is not a SAM ResourcePolicy key; every request the policy governs is denied`,
    );
  }
  const custom = value.CustomStatements;
  const rawStatements = custom === undefined ? [] : Array.isArray(custom) ? custom : [custom];
  const statements = rawStatements.map((raw, index) => {
    const { statement, problem } = parseStatement(raw, index, scope);
    if (problem !== undefined)
      warnings.push(
        `${where}: ResourcePolicy.CustomStatements ${statement.label}: ${problem}; ${FAILS_CLOSED}`,
      );
    return statement;
  });
  if (statements.length === 0 && unsupportedKeys.length === 0) return { warnings };
  return { policy: { statements, unsupportedKeys }, warnings };
}

/**
 * ARN matching: each of the six colon-separated parts is compared on its own,
 * with `*` and `?` wildcards (ArnEquals and ArnLike behave the same in IAM).
 */
export function arnLike(pattern: string, arn: string): boolean {
  const parts = (value: string): string[] | undefined => {
    const pieces = value.split(":");
    if (pieces.length < 6) return undefined;
    return [...pieces.slice(0, 5), pieces.slice(5).join(":")];
  };
  const expected = parts(pattern);
  const actual = parts(arn);
  if (!expected || !actual) return false;
  return expected.every((piece, index) => wildcardMatch(piece, actual[index] ?? ""));
}

function contextValue(key: string, request: ResourcePolicyRequest): string | undefined {
  const { caller } = request;
  switch (key) {
    case "aws:principalarn":
      return caller.kind === "role" ? caller.roleArn : undefined;
    case "aws:principalaccount":
      return caller.kind === "role" ? caller.accountId : undefined;
    case "aws:sourceip":
      return request.sourceIp;
    default:
      return undefined;
  }
}

function valueMatches(operator: ConditionOperator, expected: string, actual: string): boolean {
  switch (operator) {
    case "StringEquals":
    case "StringNotEquals":
      return expected === actual;
    case "StringLike":
    case "StringNotLike":
      return wildcardMatch(expected, actual);
    case "ArnEquals":
    case "ArnNotEquals":
    case "ArnLike":
    case "ArnNotLike":
      return arnLike(expected, actual);
    case "IpAddress":
    case "NotIpAddress": {
      const family = isIP(actual);
      if (family === 0) return false;
      return cidrBlock(expected)?.check(actual, family === 4 ? "ipv4" : "ipv6") ?? false;
    }
    case "Null":
      return false;
  }
}

/** IAM's rules: values of one key are ORed, keys and operators ANDed; a missing key fails all but negated tests. */
function conditionHolds(test: ConditionTest, request: ResourcePolicyRequest): boolean {
  const actual = contextValue(test.key, request);
  if (test.operator === "Null") return test.values.includes(actual === undefined ? "true" : "false");
  if (actual === undefined) return test.ifExists || NEGATED.has(test.operator);
  const any = test.values.some((expected) => valueMatches(test.operator, expected, actual));
  return NEGATED.has(test.operator) ? !any : any;
}

function principalMatches(principal: Principal, caller: PolicyCaller): boolean {
  if (principal.kind === "anyone") return true;
  if (caller.kind === "anonymous") return false;
  const partition = caller.roleArn.split(":")[1] ?? "aws";
  return principal.values.some(
    (value) =>
      value === caller.accountId ||
      value === `arn:${partition}:iam::${caller.accountId}:root` ||
      value === caller.roleArn ||
      value === caller.sessionArn,
  );
}

export function evaluateResourcePolicy(
  policy: ResourcePolicy,
  request: ResourcePolicyRequest,
): ResourcePolicyDecision {
  if (policy.unsupportedKeys.length > 0) {
    return { decision: "EXPLICIT_DENY", statement: `ResourcePolicy.${policy.unsupportedKeys.join(", ")}` };
  }
  let allowedBy: string | undefined;
  for (const statement of policy.statements) {
    if (!statementApplies(statement.match, ACTION, request.methodArn)) continue;
    if (!principalMatches(statement.principal, request.caller)) continue;
    const holds =
      statement.unsupported === undefined
        ? statement.conditions.every((test) => conditionHolds(test, request))
        : statement.effect === "Deny";
    if (!holds) continue;
    if (statement.effect === "Deny") return { decision: "EXPLICIT_DENY", statement: statement.label };
    allowedBy ??= statement.label;
  }
  return allowedBy === undefined
    ? { decision: "IMPLICIT_DENY" }
    : { decision: "ALLOW", statement: allowedBy };
}

/** The method ARN as API Gateway shows it in messages: all but the account's last four digits masked. */
export function maskAccount(methodArn: string): string {
  const parts = methodArn.split(":");
  const account = parts[4] ?? "";
  if (account.length > 4) parts[4] = `********${account.slice(-4)}`;
  return parts.join(":");
}

/** AWS's own wording; the account in the method ARN is masked as API Gateway masks it. */
export function accessDeniedMessage(
  caller: PolicyCaller,
  methodArn: string,
  decision: "EXPLICIT_DENY" | "IMPLICIT_DENY",
): string {
  const user = caller.kind === "role" ? caller.sessionArn : "anonymous";
  const resource = maskAccount(methodArn);
  return decision === "EXPLICIT_DENY"
    ? `User: ${user} is not authorized to perform: ${ACTION} on resource: ${resource} with an explicit deny`
    : `User: ${user} is not authorized to perform: ${ACTION} on resource: ${resource} because no resource-based policy allows the ${ACTION} action`;
}
