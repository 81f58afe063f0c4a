import { GetParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { lockoutPolicySchema } from "../domain/lockout";
import type { LockoutPolicy, LockoutPolicySource } from "../domain/ports";

/**
 * The lock-out policy from an SSM parameter holding JSON
 * (`{"maxAttempts":5,"windowSeconds":900}`), cached for `maxAgeSeconds` so an
 * operator's change applies within that time, without a deploy. One GetParameter
 * and a timestamp: Powertools' SSMProvider did the same for 4 KiB of Login's bundle.
 */
export class SsmLockoutPolicySource implements LockoutPolicySource {
  private cached: { value: string | undefined; fetchedAt: number } | undefined;

  constructor(
    private readonly client: SSMClient,
    private readonly parameterName: string,
    private readonly maxAgeSeconds = 60,
  ) {}

  async current(): Promise<LockoutPolicy> {
    const parsed = lockoutPolicySchema.safeParse(parseJson(await this.value()));
    // Fail closed: a broken policy must not silently switch lock-out off.
    if (!parsed.success) throw new Error(`Lock-out policy parameter ${this.parameterName} is invalid`);
    return parsed.data;
  }

  private async value(): Promise<string | undefined> {
    const now = Date.now();
    if (this.cached && now - this.cached.fetchedAt < this.maxAgeSeconds * 1000) return this.cached.value;
    const { Parameter } = await this.client.send(new GetParameterCommand({ Name: this.parameterName }));
    this.cached = { value: Parameter?.Value, fetchedAt: now };
    return this.cached.value;
  }
}

function parseJson(text: string | undefined): unknown {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
