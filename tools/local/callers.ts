import type { ProxyIdentity } from "./api-event";
import type { FunctionCredentials, LocalCredentials } from "./data-dir";
import type { PolicyCaller } from "./resource-policy";
import { roleId } from "./resources";

/**
 * Who holds each access key the local stack accepts: the operator (the
 * stack's own credentials, printed by `npm start`, used by tests and tools)
 * or one function, running as the role its template gives it. The gateway
 * turns a verified signature into one of these.
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
  };
}

export function isRoleArn(value: string): boolean {
  return ROLE_ARN.test(value);
}

/** How the proxy event's requestContext.identity shows an assumed-role caller. */
export function proxyIdentity(caller: FunctionCaller): ProxyIdentity {
  return {
    accessKey: caller.credentials.accessKeyId,
    accountId: caller.accountId,
    caller: caller.userId,
    user: caller.userId,
    userArn: caller.sessionArn,
  };
}

export function policyCaller(caller: FunctionCaller): PolicyCaller {
  return {
    kind: "role",
    roleArn: caller.roleArn,
    sessionArn: caller.sessionArn,
    accountId: caller.accountId,
  };
}

/** Every access key the stack accepts; functions are added as they are deployed. */
export class LocalCallers {
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
