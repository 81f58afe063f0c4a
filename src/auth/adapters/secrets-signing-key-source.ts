import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import type { SigningKeySource } from "../domain/ports";

/**
 * The token signing key from Secrets Manager, cached for `maxAgeSeconds`. It
 * is never logged, and no error built here contains it.
 */
export class SecretsManagerSigningKeySource implements SigningKeySource {
  constructor(
    private readonly secretId: string,
    private readonly maxAgeSeconds = 300,
  ) {}

  async signingKey(): Promise<Uint8Array> {
    const secret = await getSecret(this.secretId, { maxAge: this.maxAgeSeconds });
    if (typeof secret === "string" && secret !== "") return new TextEncoder().encode(secret);
    if (secret instanceof Uint8Array && secret.byteLength > 0) return secret;
    throw new Error("Token signing secret is empty");
  }
}
