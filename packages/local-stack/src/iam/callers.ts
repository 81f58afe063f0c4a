import { type FunctionCredentials, hashedId, type LocalCredentials, UPPER_ALPHANUMERIC } from "../support";
import {
  type AccessCheck,
  firstDenied,
  type IdentityDecision,
  type IdentityPolicy,
  identityDeniedMessage,
} from "./identity-policy";
import type { PolicyCaller } from "./resource-policy";

/**
 * Who holds each access key the local stack accepts: the operator (the
 * stack's own credentials, printed by `npm start`, used by tests and tools)
 * or one function, running as the role its template gives it. The gateway
 * and the AWS endpoints (DynamoDB, SSM / Secrets Manager, Lambda / API
 * Gateway) turn a verified signature into one of these, and `authorize` holds
 * a function to its role's identity policy.
 */

export interface OperatorCaller {
  kind: "operator";
  credentials: LocalCredentials;
}

export interface FunctionCaller {
  kind: "function";
  /** `service/LogicalId`. */
  functionId: string;
  credentials: FunctionCredentials;
  /** `arn:aws:iam::<account>:role<path><name>`, what aws:PrincipalArn holds. */
  roleArn: string;
  roleName: string;
  accountId: string;
  /** Lambda names the role session after the function. */
  sessionArn: string;
  /** `<RoleId>:<session>`, the `caller` and `user` of an assumed-role identity. */
  userId: string;
  /** What the role's identity-based policies allow (see identity-policy.ts). */
  identityPolicy: IdentityPolicy;
}

export type LocalCaller = OperatorCaller | FunctionCaller;

const ROLE_ARN = /^arn:([^:]+):iam::([^:]*):role\/(?:.*\/)?([^/]+)$/;

/** What a function running as `roleArn` is to IAM: a session of that role named after the function. */
export function functionCaller(
  functionId: string,
  functionName: string,
  roleArn: string,
  credentials: FunctionCredentials,
  fallbackAccountId: string,
  identityPolicy: IdentityPolicy,
): FunctionCaller {
  const parsed = ROLE_ARN.exec(roleArn);
  const partition = parsed?.[1] ?? "aws";
  const accountId = parsed?.[2] || fallbackAccountId;
  const roleName = parsed?.[3] ?? roleArn.split("/").pop() ?? roleArn;
  return {
    kind: "function",
    functionId,
    credentials,
    roleArn,
    roleName,
    accountId,
    sessionArn: `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${functionName}`,
    userId: `${roleId(roleArn)}:${functionName}`,
    identityPolicy,
  };
}

/** IAM role ids are `AROA` and 17 upper-case alphanumerics; here they come from the role's ARN. */
export function roleId(roleArn: string): string {
  return `AROA${hashedId(roleArn, 17, UPPER_ALPHANUMERIC)}`;
}

export function isRoleArn(value: string): boolean {
  return ROLE_ARN.test(value);
}

export function policyCaller(caller: FunctionCaller): PolicyCaller {
  return {
    kind: "role",
    roleArn: caller.roleArn,
    sessionArn: caller.sessionArn,
    accountId: caller.accountId,
  };
}

/** Who holds an access key: the operator or a function. */
export interface CallerLookup {
  byAccessKey(accessKeyId: string): LocalCaller | undefined;
}

export interface AccessDenial {
  check: AccessCheck;
  decision: Exclude<IdentityDecision, { decision: "ALLOW" }>;
  /** AWS's message: `User: <session ARN> is not authorized to perform: ...`. */
  message: string;
}

/**
 * Holds a caller to its identity policy for every check (all must be allowed);
 * undefined when allowed. The operator's credentials stand for the account's
 * administrator: nothing is checked for them.
 */
export function authorize(caller: LocalCaller, checks: AccessCheck[]): AccessDenial | undefined {
  if (caller.kind === "operator") return undefined;
  const denied = firstDenied(caller.identityPolicy, checks);
  if (!denied) return undefined;
  return { ...denied, message: identityDeniedMessage(caller.sessionArn, denied.check, denied.decision) };
}

/** Every access key the stack accepts; functions are added as they are deployed. */
export class LocalCallers implements CallerLookup {
  private readonly byKey = new Map<string, LocalCaller>();

  constructor(operator: LocalCredentials) {
    this.byKey.set(operator.accessKeyId, { kind: "operator", credentials: operator });
  }

  add(caller: FunctionCaller): void {
    this.byKey.set(caller.credentials.accessKeyId, caller);
  }

  byAccessKey(accessKeyId: string): LocalCaller | undefined {
    return this.byKey.get(accessKeyId);
  }
}
