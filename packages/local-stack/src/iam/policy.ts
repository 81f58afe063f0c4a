/**
 * Evaluation of the IAM policy a Lambda authorizer returns, as API Gateway
 * does it: a statement applies when its Action and Resource patterns (with
 * `*` and `?` wildcards) match `execute-api:Invoke` on the method ARN; an
 * explicit Deny wins; otherwise an Allow is needed.
 */

export type PolicyDecision = "ALLOW" | "EXPLICIT_DENY" | "IMPLICIT_DENY";

export interface AuthorizerResult {
  principalId: string;
  policyDocument: { Version?: string; Statement: PolicyStatement[] };
  /** Values API Gateway passes on as strings in requestContext.authorizer. */
  context: Record<string, string>;
  usageIdentifierKey?: string;
}

export interface PolicyStatement {
  Effect: string;
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
}

const patternCache = new Map<string, RegExp>();

/** `*` is any run of characters (including `/` and `:`), `?` one character; the rest is literal. */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const key = `${ignoreCase ? "i" : "s"}${pattern}`;
  let regex = patternCache.get(key);
  if (!regex) {
    const source = pattern
      .split("")
      .map((char) => (char === "*" ? ".*" : char === "?" ? "." : char.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
      .join("");
    regex = new RegExp(`^${source}$`, ignoreCase ? "is" : "s");
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(key, regex);
  }
  return regex.test(value);
}

function list(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value : [value];
}

export function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** A string or list of strings (numbers and booleans as CloudFormation writes them); undefined otherwise. */
export function strings(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) return undefined;
  const out: string[] = [];
  for (const item of items) {
    if (typeof item === "string") out.push(item);
    else if (typeof item === "number" || typeof item === "boolean") out.push(String(item));
    else return undefined;
  }
  return out;
}

/** Whether the statement's Action/NotAction and Resource/NotResource cover `action` on `resource`. */
export function statementApplies(statement: PolicyStatement, action: string, resource: string): boolean {
  // IAM action names are case-insensitive; ARNs are not.
  const actions = list(statement.Action);
  const notActions = list(statement.NotAction);
  const actionMatches = actions
    ? actions.some((pattern) => wildcardMatch(pattern, action, true))
    : notActions
      ? !notActions.some((pattern) => wildcardMatch(pattern, action, true))
      : false;
  if (!actionMatches) return false;
  const resources = list(statement.Resource);
  const notResources = list(statement.NotResource);
  if (resources) return resources.some((pattern) => wildcardMatch(pattern, resource));
  if (notResources) return !notResources.some((pattern) => wildcardMatch(pattern, resource));
  return false;
}

export function evaluatePolicy(
  document: AuthorizerResult["policyDocument"],
  resource: string,
  action = "execute-api:Invoke",
): PolicyDecision {
  let allowed = false;
  for (const statement of document.Statement) {
    if (!statementApplies(statement, action, resource)) continue;
    if (statement.Effect === "Deny") return "EXPLICIT_DENY";
    if (statement.Effect === "Allow") allowed = true;
  }
  return allowed ? "ALLOW" : "IMPLICIT_DENY";
}

/**
 * Checks an authorizer's output the way API Gateway does before using it;
 * returns a reason when it is malformed (API Gateway then answers 500).
 */
export function parseAuthorizerResult(payload: unknown): AuthorizerResult | string {
  if (!payload || typeof payload !== "object" || Array.isArray(payload))
    return "the authorizer returned no object";
  const { principalId, policyDocument, context, usageIdentifierKey } = payload as Record<string, unknown>;
  if (typeof principalId !== "string" && typeof principalId !== "number") return "principalId is missing";
  if (!policyDocument || typeof policyDocument !== "object") return "policyDocument is missing";
  const rawStatements = (policyDocument as { Statement?: unknown }).Statement;
  const statements = Array.isArray(rawStatements) ? rawStatements : rawStatements ? [rawStatements] : [];
  if (statements.length === 0) return "policyDocument has no Statement";
  for (const statement of statements) {
    if (!statement || typeof statement !== "object") return "a policy statement is not an object";
    const { Effect } = statement as PolicyStatement;
    if (Effect !== "Allow" && Effect !== "Deny")
      return `a statement's Effect is '${String(Effect)}', not Allow or Deny`;
  }
  const flatContext: Record<string, string> = {};
  if (context !== undefined && context !== null) {
    if (typeof context !== "object" || Array.isArray(context)) return "context must be a map";
    for (const [key, value] of Object.entries(context)) {
      // API Gateway rejects nested values in the context map.
      if (value !== null && typeof value === "object")
        return `context.${key} is an object or array; only strings, numbers and booleans are allowed`;
      if (value !== undefined && value !== null) flatContext[key] = String(value);
    }
  }
  return {
    principalId: String(principalId),
    policyDocument: { ...(policyDocument as object), Statement: statements as PolicyStatement[] },
    context: flatContext,
    ...(typeof usageIdentifierKey === "string" ? { usageIdentifierKey } : {}),
  };
}
