import { ParameterNotFoundError } from "@aws-lambda-powertools/parameters/errors";
import { SecretsProvider } from "@aws-lambda-powertools/parameters/secrets";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SigningKey, SigningKeySource, SigningKeys } from "../domain/ports";
import { signingKeyFrom } from "../domain/signing-key";

/**
 * The token signing keys from Secrets Manager: the secret's AWSCURRENT version
 * signs, and its AWSPREVIOUS version, the value a rotation replaced, is still
 * accepted. Each is cached for `maxAgeSeconds`. No key is ever logged, and no
 * error built here contains one.
 */
export class SecretsManagerSigningKeySource implements SigningKeySource {
  // One provider per stage: Powertools caches by secret id and transform
  // only, so one provider would answer AWSPREVIOUS with AWSCURRENT's value.
  private readonly currentStage: SecretsProvider;
  private readonly previousStage: SecretsProvider;
  /** Epoch ms until which "no AWSPREVIOUS" stands: Powertools caches only values found. */
  private noPreviousUntil = 0;

  constructor(
    client: SecretsManagerClient,
    private readonly secretId: string,
    private readonly maxAgeSeconds = 300,
  ) {
    this.currentStage = new SecretsProvider({ awsSdkV3Client: client });
    this.previousStage = new SecretsProvider({ awsSdkV3Client: client });
  }

  async signingKeys(options: { refresh?: boolean } = {}): Promise<SigningKeys> {
    const forceFetch = options.refresh === true;
    const [current, previous] = await Promise.all([
      this.currentStage.get(this.secretId, { maxAge: this.maxAgeSeconds, forceFetch }),
      this.previous(forceFetch),
    ]);
    return {
      current: keyFrom(current, "AWSCURRENT"),
      ...(previous === undefined ? {} : { previous: keyFrom(previous, "AWSPREVIOUS") }),
    };
  }

  private async previous(forceFetch: boolean): Promise<string | Uint8Array | undefined> {
    if (!forceFetch && Date.now() < this.noPreviousUntil) return undefined;
    try {
      const value = await this.previousStage.get(this.secretId, {
        maxAge: this.maxAgeSeconds,
        forceFetch,
        throwOnMissing: true,
        sdkOptions: { VersionStage: "AWSPREVIOUS" },
      });
      this.noPreviousUntil = 0;
      return value;
    } catch (error) {
      // Secrets Manager answers ResourceNotFoundException for a stage no
      // version carries: a secret never rotated has no previous value.
      if (!(error instanceof ParameterNotFoundError)) throw error;
      this.noPreviousUntil = Date.now() + this.maxAgeSeconds * 1000;
      return undefined;
    }
  }
}

function keyFrom(secret: string | Uint8Array | undefined, stage: string): SigningKey {
  if (typeof secret === "string" && secret !== "") return signingKeyFrom(new TextEncoder().encode(secret));
  if (secret instanceof Uint8Array && secret.byteLength > 0) return signingKeyFrom(secret);
  throw new Error(`Token signing secret (${stage}) is empty`);
}
