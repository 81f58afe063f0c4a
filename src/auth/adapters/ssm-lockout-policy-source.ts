import { SSMProvider } from "@aws-lambda-powertools/parameters/ssm";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { lockoutPolicySchema } from "../domain/lockout";
import type { LockoutPolicy, LockoutPolicySource } from "../domain/ports";

/**
 * The lock-out policy from an SSM parameter holding JSON
 * (`{"maxAttempts":5,"windowSeconds":900}`), cached for `maxAgeSeconds` so an
 * operator's change applies within that time, without a deploy.
 */
export class SsmLockoutPolicySource implements LockoutPolicySource {
  private readonly parameters: SSMProvider;

  constructor(
    client: SSMClient,
    private readonly parameterName: string,
    private readonly maxAgeSeconds = 60,
  ) {
    this.parameters = new SSMProvider({ awsSdkV3Client: client });
  }

  async current(): Promise<LockoutPolicy> {
    const value = await this.parameters.get(this.parameterName, {
      maxAge: this.maxAgeSeconds,
      transform: "json",
    });
    const parsed = lockoutPolicySchema.safeParse(value);
    // Fail closed: a broken policy must not silently switch lock-out off.
    if (!parsed.success) throw new Error(`Lock-out policy parameter ${this.parameterName} is invalid`);
    return parsed.data;
  }
}
