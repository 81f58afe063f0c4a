import {
  accessDeniedMessage,
  type CallerLookup,
  evaluateIdentityPolicy,
  evaluateResourcePolicy,
  type FunctionCaller,
  type IdentityDecision,
  identityDeniedMessage,
  maskAccount,
  type PolicyCaller,
  policyCaller,
  type ResourcePolicyDecision,
  type ReceivedRequest as SignedRequest,
  type VerifyResult,
} from "../iam";
import type { RouteAuth } from "../template";
import { buildProxyEvent, type ProxyIdentity, proxyIdentity } from "./api-event";
import type { LambdaAuthorizers } from "./authorizer";
import { type AuthorizedRequest, gatewayReply, type LoadedRequest, type Reply } from "./request";
import type { GatewayResponseType } from "./responses";

/**
 * Stage 4: authorization, by the route's kind (none, a Lambda authorizer,
 * AWS_IAM), each together with the API's resource policy as API Gateway
 * combines them.
 */

const INVOKE = "execute-api:Invoke";
const ANONYMOUS: PolicyCaller = { kind: "anonymous" };

export interface AuthorizationContext {
  accountId: string;
  callers: CallerLookup;
  verifySigV4(request: SignedRequest): Promise<VerifyResult>;
  authorizers: LambdaAuthorizers;
}

type Authorize = (
  request: LoadedRequest,
  context: AuthorizationContext,
) => Promise<AuthorizedRequest | Reply>;

const AUTHORIZATIONS: Record<RouteAuth["kind"], Authorize> = {
  NONE: noAuthorization,
  LAMBDA: lambdaAuthorization,
  AWS_IAM: iamAuthorization,
  UNSUPPORTED: async (request) =>
    gatewayReply(
      request,
      "AUTHORIZER_CONFIGURATION_ERROR",
      "Internal server error",
      request.route.auth.kind === "UNSUPPORTED" ? request.route.auth.reason : "unsupported authorization",
    ),
};

export function authorize(
  request: LoadedRequest,
  context: AuthorizationContext,
): Promise<AuthorizedRequest | Reply> {
  return AUTHORIZATIONS[request.route.auth.kind](request, context);
}

/** With no authorization, only the resource policy decides: it must allow explicitly. */
async function noAuthorization(request: LoadedRequest): Promise<AuthorizedRequest | Reply> {
  const policy = checkResourcePolicy(request, ANONYMOUS);
  return policy.decision === "ALLOW" ? request : resourcePolicyDenied(request, ANONYMOUS, policy);
}

async function lambdaAuthorization(
  request: LoadedRequest,
  context: AuthorizationContext,
): Promise<AuthorizedRequest | Reply> {
  const { auth } = request.route;
  if (auth.kind !== "LAMBDA") throw new Error(`not a Lambda-authorized route: ${auth.kind}`);
  // API Gateway looks for an explicit Deny before calling the authorizer; the caller is anonymous to it.
  const policy = checkResourcePolicy(request, ANONYMOUS);
  if (policy.decision === "EXPLICIT_DENY") return resourcePolicyDenied(request, ANONYMOUS, policy);
  const started = performance.now();
  const decision = await context.authorizers.authorize(auth.authorizer, {
    apiId: request.api.apiId,
    methodArn: request.methodArn,
    headers: request.headers,
    query: new URLSearchParams(request.rawQuery),
    requestEvent: () => {
      const event = buildProxyEvent(request.proxyRequest, request.proxyRoute, {
        requestId: request.requestId,
        accountId: context.accountId,
        now: request.now,
      });
      const { body: _body, isBase64Encoded: _encoded, ...rest } = event;
      return rest as unknown as Record<string, unknown>;
    },
  });
  if (!decision.ok) return gatewayReply(request, decision.type, decision.message, decision.detail);
  const authorizer = {
    ...decision.context,
    principalId: decision.principalId,
    integrationLatency: decision.cached ? 0 : Math.round(performance.now() - started),
  };
  return { ...request, authorizer };
}

async function iamAuthorization(
  request: LoadedRequest,
  context: AuthorizationContext,
): Promise<AuthorizedRequest | Reply> {
  const verdict = await context.verifySigV4({
    method: request.method,
    rawPath: request.rawPath,
    rawQuery: request.rawQuery,
    headers: request.headers,
    body: request.body,
  });
  if (!verdict.ok) {
    const type: GatewayResponseType =
      verdict.reason === "missing" ? "MISSING_AUTHENTICATION_TOKEN" : "INVALID_SIGNATURE";
    return gatewayReply(request, type, verdict.message, `SigV4: ${verdict.reason}`);
  }
  const caller = context.callers.byAccessKey(verdict.accessKeyId);
  if (!caller) {
    // The verifier found the key a moment ago; never let a key nobody holds through as the operator.
    return gatewayReply(
      request,
      "INVALID_SIGNATURE",
      "The security token included in the request is invalid.",
      "SigV4: unknown key",
    );
  }
  if (caller.kind === "function") return functionCaller(request, caller);
  // The operator's key stands for the account's administrator and is exempt from resource
  // policies (a deliberate difference from AWS, where an explicit Deny binds admins too).
  const identity: ProxyIdentity = {
    accessKey: verdict.accessKeyId,
    accountId: context.accountId,
    caller: verdict.accessKeyId,
    user: verdict.accessKeyId,
    userArn: `arn:aws:iam::${context.accountId}:user/local`,
  };
  return { ...request, identity };
}

/**
 * Same-account IAM callers, as API Gateway decides: an explicit Deny in the role's identity
 * policy or in the resource policy refuses; otherwise an Allow in either one lets the call in.
 */
function functionCaller(request: LoadedRequest, caller: FunctionCaller): AuthorizedRequest | Reply {
  const principal = policyCaller(caller);
  const own = evaluateIdentityPolicy(caller.identityPolicy, INVOKE, request.methodArn);
  const policy = request.api.resourcePolicy ? checkResourcePolicy(request, principal) : undefined;
  if (own.decision === "EXPLICIT_DENY") {
    return identityDenied(
      request,
      caller.sessionArn,
      own,
      `identity policy: denied by statement ${own.statement}`,
    );
  }
  if (policy?.decision === "EXPLICIT_DENY") return resourcePolicyDenied(request, principal, policy);
  if (own.decision !== "ALLOW" && policy?.decision !== "ALLOW") {
    return policy
      ? resourcePolicyDenied(request, principal, policy)
      : identityDenied(
          request,
          caller.sessionArn,
          own,
          "identity policy: no statement allows it (no resource policy)",
        );
  }
  return { ...request, identity: proxyIdentity(caller) };
}

function checkResourcePolicy(request: LoadedRequest, caller: PolicyCaller): ResourcePolicyDecision {
  const { resourcePolicy } = request.api;
  return resourcePolicy
    ? evaluateResourcePolicy(resourcePolicy, {
        caller,
        sourceIp: request.sourceIp,
        methodArn: request.methodArn,
      })
    : { decision: "ALLOW", statement: "(no resource policy)" };
}

function resourcePolicyDenied(
  request: LoadedRequest,
  caller: PolicyCaller,
  verdict: Exclude<ResourcePolicyDecision, { decision: "ALLOW" }>,
): Reply {
  const who = caller.kind === "role" ? caller.roleArn : "anonymous";
  const why =
    verdict.decision === "EXPLICIT_DENY"
      ? `denied by statement ${verdict.statement}`
      : "no statement allows it";
  return gatewayReply(
    request,
    "ACCESS_DENIED",
    accessDeniedMessage(caller, request.methodArn, verdict.decision),
    `resource policy: ${why} (caller ${who})`,
  );
}

function identityDenied(
  request: LoadedRequest,
  userArn: string,
  decision: Exclude<IdentityDecision, { decision: "ALLOW" }>,
  detail: string,
): Reply {
  const check = { action: INVOKE, resource: maskAccount(request.methodArn) };
  return gatewayReply(request, "ACCESS_DENIED", identityDeniedMessage(userArn, check, decision), detail);
}
