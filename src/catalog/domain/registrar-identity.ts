import { ForbiddenError } from "../../shared/errors";

/**
 * Which caller may change which registration. The API's resource policy lets
 * only registrar roles POST, but every registrar role passes it; this binds a
 * registration to its own service's registrar. Lambda names the role session
 * after the function, and each registrar's template gives it the name the
 * pattern makes, so the caller's assumed-role ARN says which service it serves.
 */

const SERVICE_PLACEHOLDER = "{service}";

const ASSUMED_ROLE_ARN = /^arn:[^:]+:sts::\d*:assumed-role\/[^/]+\/([^/]+)$/;

/** The session name of an assumed-role ARN; undefined for users, roots and anything else. */
export function roleSessionName(callerArn: string | undefined): string | undefined {
  return callerArn === undefined ? undefined : ASSUMED_ROLE_ARN.exec(callerArn)?.[1];
}

export interface RegistrarCheck {
  /** Throws ForbiddenError unless `callerArn` is a session of `serviceName`'s registrar function. */
  assertMayChange(serviceName: string, callerArn: string | undefined): void;
}

/** `functionNamePattern` is the registrars' FunctionName with `{service}` for the service's name. */
export function createRegistrarCheck(functionNamePattern: string): RegistrarCheck {
  if (!functionNamePattern.includes(SERVICE_PLACEHOLDER)) {
    throw new Error(`Invalid configuration: the registrar name pattern must contain ${SERVICE_PLACEHOLDER}`);
  }
  return {
    assertMayChange(serviceName, callerArn) {
      const expected = functionNamePattern.replace(SERVICE_PLACEHOLDER, serviceName);
      if (roleSessionName(callerArn) !== expected) {
        throw new ForbiddenError(`Only ${serviceName}'s own registrar may change its registration`);
      }
    },
  };
}
