import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

const secrets = new SecretsManagerClient({});

/** AWSCURRENT and AWSPREVIOUS of the signing secret, as the token code reads them (one of them absent). */
export async function signingSecrets(secretId: string): Promise<Array<string | undefined>> {
  const read = (stage: string) =>
    secrets
      .send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }))
      .then((answer) => answer.SecretString)
      .catch((error: Error) => {
        if (error.name === "ResourceNotFoundException") return undefined;
        throw error;
      });
  return Promise.all([read("AWSCURRENT"), read("AWSPREVIOUS")]);
}
