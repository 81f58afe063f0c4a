import type { TokenSubject } from "./tokens";

export interface AuthorizerResult {
  principalId: string;
  policyDocument: {
    Version: "2012-10-17";
    Statement: Array<{ Action: "execute-api:Invoke"; Effect: "Allow"; Resource: string }>;
  };
  context: { userId: string; username: string };
}

// arn:<partition>:execute-api:<region>:<account>:<apiId>/<stage>/<method>/<path...>
const METHOD_ARN = /^(arn:[^:]+:execute-api:[^:]+:[^:]+:[^/]+\/[^/]+)\/[^/]+\/.*$/;

/**
 * API Gateway caches the authorizer's policy per token and reuses it for every
 * method of the API, so a policy naming only the method that happened to be
 * called first would deny the others until the cache expires. The grant is
 * widened to the whole stage; when the ARN is not recognisable it is kept as
 * it is, which can only deny more, never allow more.
 */
export function stageWideResource(methodArn: string): string {
  const match = METHOD_ARN.exec(methodArn);
  return match?.[1] ? `${match[1]}/*/*` : methodArn;
}

export function allowPolicy(subject: TokenSubject, methodArn: string): AuthorizerResult {
  return {
    principalId: subject.userId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: stageWideResource(methodArn) }],
    },
    context: { userId: subject.userId, username: subject.username },
  };
}

const BEARER = /^Bearer[ \t]+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)[ \t]*$/i;

/** The compact JWT from an `Authorization` value, or undefined when it is not a bearer token. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  return BEARER.exec(authorization)?.[1];
}
