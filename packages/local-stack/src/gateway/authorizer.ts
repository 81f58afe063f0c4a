import { type AuthorizerResult, evaluatePolicy, parseAuthorizerResult } from "../iam";
import type { InvokeOutcome } from "../runtime";
import type { AuthorizerDefinition } from "../template";
import type { GatewayResponseType } from "./responses";

/**
 * Lambda authorizers as API Gateway runs them: identity checks before the
 * call, the policy cached per identity for ReauthorizeEvery seconds and
 * evaluated against each request's method ARN (so a cached policy that does
 * not cover another route denies it, as on AWS).
 */

export type AuthDecision =
  | { ok: true; principalId: string; context: Record<string, string>; cached: boolean }
  | { ok: false; type: GatewayResponseType; message: string; detail: string };

export interface AuthorizationRequest {
  apiId: string;
  methodArn: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  query: URLSearchParams;
  /** The proxy event of the request, from which a REQUEST authorizer's event is made. */
  requestEvent: () => Record<string, unknown>;
}

export type InvokeByArn = (arn: string, event: unknown) => Promise<InvokeOutcome | undefined>;

const MAX_CACHE_ENTRIES = 10_000;

export function methodArn(
  region: string,
  accountId: string,
  apiId: string,
  stage: string,
  method: string,
  path: string,
): string {
  return `arn:aws:execute-api:${region}:${accountId}:${apiId}/${stage}/${method}/${path.replace(/^\//, "")}`;
}

export class LambdaAuthorizers {
  private readonly cache = new Map<string, { expires: number; result: AuthorizerResult }>();

  constructor(
    private readonly invoke: InvokeByArn,
    private readonly now: () => number = Date.now,
  ) {}

  async authorize(authorizer: AuthorizerDefinition, request: AuthorizationRequest): Promise<AuthDecision> {
    const call = authorizerCall(authorizer, request);
    if ("ok" in call) return call;
    // Without identity sources a REQUEST authorizer cannot be cached.
    const cacheable = authorizer.reauthorizeEvery > 0 && call.identity.length > 0;
    const key = `${request.apiId}\u0000${authorizer.name}\u0000${call.identity.join("\u0000")}`;
    let entry = cacheable ? this.cache.get(key) : undefined;
    const cached = entry !== undefined && entry.expires > this.now();
    if (!entry || !cached) {
      const result = await this.call(authorizer, call.event);
      if ("ok" in result) return result;
      entry = { expires: this.now() + authorizer.reauthorizeEvery * 1000, result };
      if (cacheable) {
        if (this.cache.size >= MAX_CACHE_ENTRIES) this.cache.clear();
        this.cache.set(key, entry);
      }
    }
    return policyDecision(entry.result, request.methodArn, cached);
  }

  /** Runs the authorizer function; its result, or why there is none. */
  private async call(
    authorizer: AuthorizerDefinition,
    event: Record<string, unknown>,
  ): Promise<AuthorizerResult | Extract<AuthDecision, { ok: false }>> {
    const outcome = await this.invoke(authorizer.functionArn, event);
    if (!outcome) {
      return configurationError(`no local function has the authorizer ARN ${authorizer.functionArn}`);
    }
    if (!outcome.ok) {
      // The documented way for an authorizer to answer 401 is to fail with exactly "Unauthorized".
      if (outcome.kind === "error" && outcome.error.errorMessage === "Unauthorized")
        return unauthorized("the authorizer said Unauthorized");
      return {
        ok: false,
        type: "AUTHORIZER_FAILURE",
        message: "Internal server error",
        detail: `authorizer failed: ${outcome.error.errorType}: ${outcome.error.errorMessage}`,
      };
    }
    const parsed = parseAuthorizerResult(outcome.payload);
    return typeof parsed === "string" ? configurationError(`authorizer response: ${parsed}`) : parsed;
  }

  clear(): void {
    this.cache.clear();
  }
}

function unauthorized(detail: string): Extract<AuthDecision, { ok: false }> {
  return { ok: false, type: "UNAUTHORIZED", message: "Unauthorized", detail };
}

function configurationError(detail: string): Extract<AuthDecision, { ok: false }> {
  return { ok: false, type: "AUTHORIZER_CONFIGURATION_ERROR", message: "Internal server error", detail };
}

/** The identity API Gateway caches by and the event it sends; or 401 when an identity source is missing. */
function authorizerCall(
  authorizer: AuthorizerDefinition,
  request: AuthorizationRequest,
): { identity: string[]; event: Record<string, unknown> } | Extract<AuthDecision, { ok: false }> {
  if (authorizer.payloadType === "TOKEN") {
    const token = request.headers[authorizer.identityHeader.toLowerCase()];
    if (token === undefined || token === "") return unauthorized(`no ${authorizer.identityHeader} header`);
    if (authorizer.validationPattern !== undefined && !authorizer.validationPattern.test(token)) {
      return unauthorized("the token does not match the authorizer's ValidationExpression");
    }
    return {
      identity: [token],
      event: { type: "TOKEN", authorizationToken: token, methodArn: request.methodArn },
    };
  }
  const identity: string[] = [];
  for (const header of authorizer.identityHeaders) {
    const value = request.headers[header.toLowerCase()];
    if (value === undefined || value === "")
      return unauthorized(`identity source header ${header} is missing`);
    identity.push(value);
  }
  for (const name of authorizer.identityQueryStrings) {
    const value = request.query.get(name);
    if (value === null || value === "")
      return unauthorized(`identity source query string ${name} is missing`);
    identity.push(value);
  }
  return { identity, event: { type: "REQUEST", methodArn: request.methodArn, ...request.requestEvent() } };
}

/** The (possibly cached) policy evaluated against this request's method ARN. */
function policyDecision(result: AuthorizerResult, methodArn: string, cached: boolean): AuthDecision {
  const decision = evaluatePolicy(result.policyDocument, methodArn);
  if (decision === "ALLOW")
    return { ok: true, principalId: result.principalId, context: result.context, cached };
  return {
    ok: false,
    type: "ACCESS_DENIED",
    message:
      decision === "EXPLICIT_DENY"
        ? "User is not authorized to access this resource with an explicit deny"
        : "User is not authorized to access this resource",
    detail: `policy ${decision === "EXPLICIT_DENY" ? "denies" : "does not allow"} ${methodArn}${cached ? " (cached policy)" : ""}`,
  };
}
