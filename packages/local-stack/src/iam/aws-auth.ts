import type { CallerLookup, LocalCaller } from "./callers";
import { createSigV4Verifier, type ReceivedRequest, type VerifyResult } from "./sigv4";

/**
 * Authentication for the local AWS service endpoints (DynamoDB, SSM, Secrets
 * Manager, Lambda, API Gateway): a request must carry a SigV4 signature, for
 * the service it calls, by a key the stack issued (the operator's or a
 * function's, with its session token). A failure is named as AWS's services
 * name it.
 */

export type AuthFailureType =
  | "MissingAuthenticationTokenException"
  | "IncompleteSignatureException"
  | "UnrecognizedClientException"
  | "InvalidSignatureException";

export type Authenticated =
  | { ok: true; caller: LocalCaller }
  | { ok: false; type: AuthFailureType; message: string };

const FAILURE_TYPES: Record<Extract<VerifyResult, { ok: false }>["reason"], AuthFailureType> = {
  missing: "MissingAuthenticationTokenException",
  incomplete: "IncompleteSignatureException",
  "invalid-token": "UnrecognizedClientException",
  expired: "InvalidSignatureException",
  mismatch: "InvalidSignatureException",
};

export class AwsAuthenticator {
  private readonly verifiers = new Map<string, (request: ReceivedRequest) => Promise<VerifyResult>>();

  constructor(
    private readonly callers: CallerLookup,
    private readonly region: string,
  ) {}

  /** `service` is the signing name the credential scope must carry: `dynamodb`, `ssm`, `lambda`... */
  async authenticate(service: string, request: ReceivedRequest): Promise<Authenticated> {
    let verify = this.verifiers.get(service);
    if (!verify) {
      verify = createSigV4Verifier({
        credentials: (accessKeyId) => this.callers.byAccessKey(accessKeyId)?.credentials,
        region: this.region,
        service,
      });
      this.verifiers.set(service, verify);
    }
    const verdict = await verify(request);
    if (!verdict.ok) return { ok: false, type: FAILURE_TYPES[verdict.reason], message: verdict.message };
    const caller = this.callers.byAccessKey(verdict.accessKeyId);
    // The verifier found the key a moment ago; never let a key nobody holds through as the operator.
    if (!caller) {
      return {
        ok: false,
        type: "UnrecognizedClientException",
        message: "The security token included in the request is invalid.",
      };
    }
    return { ok: true, caller };
  }
}
