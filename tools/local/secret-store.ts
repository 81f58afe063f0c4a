import { randomInt, randomUUID } from "node:crypto";
import { readJsonFile, writeJsonFile } from "./json-file";
import type { GenerateSecretOptions } from "./model";
import { AwsError } from "./ssm-store";

/** Secrets Manager semantics the local endpoint serves, persisted as one JSON file (mode 600). */

export interface StoredSecret {
  name: string;
  arn: string;
  versionId: string;
  secretString: string;
  description?: string;
  /** Epoch milliseconds. */
  createdDate: number;
}

const NOT_FOUND = "Secrets Manager can't find the specified secret.";

export class SecretStore {
  private readonly secrets = new Map<string, StoredSecret>();

  constructor(private readonly file?: string) {
    if (file)
      for (const secret of readJsonFile<StoredSecret[]>(file, [])) this.secrets.set(secret.name, secret);
  }

  /** By name, full ARN, or partial ARN (without the six-character suffix), as Secrets Manager resolves SecretId. */
  get(secretId: string): StoredSecret {
    const byName = this.secrets.get(secretId);
    if (byName) return byName;
    for (const secret of this.secrets.values()) {
      if (secret.arn === secretId) return secret;
      if (secretId.startsWith("arn:") && secret.arn.slice(0, -7) === secretId) return secret;
    }
    throw new AwsError("ResourceNotFoundException", NOT_FOUND);
  }

  find(secretId: string): StoredSecret | undefined {
    try {
      return this.get(secretId);
    } catch {
      return undefined;
    }
  }

  /**
   * Creates a template's secret once. A generated value is kept across
   * restarts (CloudFormation generates it only on create); a literal
   * SecretString in the template replaces the stored one when it changes.
   */
  ensure(input: {
    name: string;
    arn: string;
    description?: string;
    secretString?: string;
    generate?: GenerateSecretOptions;
  }): StoredSecret {
    const existing = this.secrets.get(input.name);
    if (
      existing &&
      existing.arn === input.arn &&
      (input.secretString === undefined || input.secretString === existing.secretString)
    ) {
      return existing;
    }
    const secretString =
      input.secretString ?? existing?.secretString ?? generateSecretString(input.generate ?? {});
    const secret: StoredSecret = {
      name: input.name,
      arn: input.arn,
      versionId: randomUUID(),
      secretString,
      description: input.description,
      createdDate: existing?.createdDate ?? Date.now(),
    };
    this.secrets.set(input.name, secret);
    this.save();
    return secret;
  }

  private save(): void {
    if (this.file) writeJsonFile(this.file, [...this.secrets.values()], 0o600);
  }
}

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = LOWER.toUpperCase();
const DIGITS = "0123456789";
const PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/** GenerateSecretString as Secrets Manager's GetRandomPassword reads it. */
export function generateSecretString(options: GenerateSecretOptions): string {
  const exclude = new Set(options.ExcludeCharacters ?? "");
  const keep = (set: string): string => [...set].filter((char) => !exclude.has(char)).join("");
  const classes = [
    options.ExcludeLowercase ? "" : keep(LOWER),
    options.ExcludeUppercase ? "" : keep(UPPER),
    options.ExcludeNumbers ? "" : keep(DIGITS),
    options.ExcludePunctuation ? "" : keep(PUNCTUATION),
    options.IncludeSpace ? " " : "",
  ].filter((set) => set.length > 0);
  const alphabet = classes.join("");
  if (alphabet.length === 0) throw new Error("GenerateSecretString excludes every character");
  const length = Number(options.PasswordLength ?? 32);
  if (!Number.isInteger(length) || length < 1 || length > 4096)
    throw new Error("GenerateSecretString.PasswordLength must be 1-4096");
  const chars = Array.from({ length }, () => alphabet[randomInt(alphabet.length)] ?? "");
  if (options.RequireEachIncludedType !== false && length >= classes.length) {
    // One character of each included class, at distinct random positions.
    const positions = new Set<number>();
    while (positions.size < classes.length) positions.add(randomInt(length));
    [...positions].forEach((position, index) => {
      const set = classes[index] ?? alphabet;
      chars[position] = set[randomInt(set.length)] ?? "";
    });
  }
  const password = chars.join("");
  if (options.SecretStringTemplate !== undefined && options.GenerateStringKey !== undefined) {
    const template = JSON.parse(options.SecretStringTemplate) as Record<string, unknown>;
    return JSON.stringify({ ...template, [options.GenerateStringKey]: password });
  }
  return password;
}
