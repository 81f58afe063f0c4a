import { randomInt, randomUUID } from "node:crypto";
import { AwsError } from "../errors";
import { readJsonFile, writeJsonFile } from "../support";
import type { GenerateSecretOptions } from "../template";

/**
 * Secrets Manager semantics the local endpoint serves, persisted as one JSON
 * file (mode 600): each secret's versions and their staging labels, moved on
 * PutSecretValue the way the service moves them.
 */

export interface StoredSecretVersion {
  versionId: string;
  secretString: string;
  /** Staging labels; a version with none is deprecated, still readable by its VersionId. */
  stages: string[];
  /** Epoch milliseconds. */
  createdDate: number;
}

export interface StoredSecret {
  name: string;
  arn: string;
  description?: string;
  /** Epoch milliseconds. */
  createdDate: number;
  versions: StoredSecretVersion[];
}

/** The file's shape before versions were kept: one value, implicitly AWSCURRENT. */
interface SingleValueSecret {
  name: string;
  arn: string;
  versionId: string;
  secretString: string;
  description?: string;
  createdDate: number;
}

export interface SecretVersionSelector {
  versionId?: string;
  versionStage?: string;
}

export interface PutSecretValueInput {
  secretString: string;
  /** Becomes the new VersionId; a retry with the same token and value changes nothing. */
  clientRequestToken?: string;
  /** Default `["AWSCURRENT"]`. */
  versionStages?: string[];
}

const AWSCURRENT = "AWSCURRENT";
const AWSPREVIOUS = "AWSPREVIOUS";
const NOT_FOUND = "Secrets Manager can't find the specified secret.";
// Secrets Manager drops deprecated versions once a secret has more than this many.
const MAX_VERSIONS = 100;
const MAX_SECRET_STRING_BYTES = 65_536;

export class SecretStore {
  private readonly secrets = new Map<string, StoredSecret>();

  constructor(private readonly file?: string) {
    if (file)
      for (const stored of readJsonFile<Array<StoredSecret | SingleValueSecret>>(file, [])) {
        const secret = "versions" in stored ? stored : fromSingleValue(stored);
        this.secrets.set(secret.name, secret);
      }
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

  /** GetSecretValue's choice: by VersionId and/or VersionStage (both must name the same version), else AWSCURRENT. */
  version(secretId: string, selector: SecretVersionSelector = {}): StoredSecretVersion {
    const secret = this.get(secretId);
    const stage = selector.versionStage ?? (selector.versionId === undefined ? AWSCURRENT : undefined);
    const version = secret.versions.find(
      (candidate) =>
        (selector.versionId === undefined || candidate.versionId === selector.versionId) &&
        (stage === undefined || candidate.stages.includes(stage)),
    );
    if (version) return version;
    throw new AwsError(
      "ResourceNotFoundException",
      stage === undefined
        ? `Secrets Manager can't find the specified secret value for VersionId: ${selector.versionId}`
        : `Secrets Manager can't find the specified secret value for staging label: ${stage}`,
    );
  }

  /**
   * PutSecretValue: a new version carrying `versionStages`, each label taken
   * from the version that had it; when AWSCURRENT moves, the version it left
   * becomes AWSPREVIOUS.
   */
  putValue(
    secretId: string,
    input: PutSecretValueInput,
  ): { secret: StoredSecret; version: StoredSecretVersion } {
    const secret = this.get(secretId);
    if (Buffer.byteLength(input.secretString) > MAX_SECRET_STRING_BYTES) {
      throw new AwsError(
        "ValidationException",
        `SecretString must be at most ${MAX_SECRET_STRING_BYTES} bytes`,
      );
    }
    const existing = secret.versions.find((version) => version.versionId === input.clientRequestToken);
    if (existing) {
      if (existing.secretString === input.secretString) return { secret, version: existing };
      throw new AwsError(
        "ResourceExistsException",
        "You can't modify an existing version, you can only create new versions.",
      );
    }
    const stages = [...new Set(input.versionStages ?? [AWSCURRENT])];
    const version: StoredSecretVersion = {
      versionId: input.clientRequestToken ?? randomUUID(),
      secretString: input.secretString,
      stages,
      createdDate: Date.now(),
    };
    if (stages.includes(AWSCURRENT)) {
      const demoted = secret.versions.find((other) => other.stages.includes(AWSCURRENT));
      if (demoted) {
        for (const other of secret.versions)
          other.stages = other.stages.filter((stage) => stage !== AWSPREVIOUS);
        demoted.stages.push(AWSPREVIOUS);
      }
    }
    for (const other of secret.versions)
      other.stages = other.stages.filter((stage) => !stages.includes(stage));
    secret.versions.push(version);
    this.dropDeprecatedBeyondQuota(secret);
    this.save();
    return { secret, version };
  }

  /**
   * Creates a template's secret once. A generated value is kept across
   * restarts (CloudFormation generates it only on create), and so is a value
   * put since; a literal SecretString in the template that changes becomes a
   * new version, as a stack update makes it.
   */
  ensure(input: {
    name: string;
    arn: string;
    description?: string;
    secretString?: string;
    generate?: GenerateSecretOptions;
  }): StoredSecret {
    const existing = this.secrets.get(input.name);
    const currentValue = existing?.versions.find((version) =>
      version.stages.includes(AWSCURRENT),
    )?.secretString;
    if (existing && existing.arn === input.arn) {
      if (input.secretString !== undefined && input.secretString !== currentValue)
        this.putValue(input.name, { secretString: input.secretString });
      return existing;
    }
    const secret: StoredSecret = {
      name: input.name,
      arn: input.arn,
      description: input.description,
      createdDate: existing?.createdDate ?? Date.now(),
      versions: [
        {
          versionId: randomUUID(),
          secretString: input.secretString ?? currentValue ?? generateSecretString(input.generate ?? {}),
          stages: [AWSCURRENT],
          createdDate: Date.now(),
        },
      ],
    };
    this.secrets.set(input.name, secret);
    this.save();
    return secret;
  }

  private dropDeprecatedBeyondQuota(secret: StoredSecret): void {
    let excess = secret.versions.length - MAX_VERSIONS;
    secret.versions = secret.versions.filter((version) => {
      if (excess <= 0 || version.stages.length > 0) return true;
      excess--;
      return false;
    });
  }

  private save(): void {
    if (this.file) writeJsonFile(this.file, [...this.secrets.values()], 0o600);
  }
}

function fromSingleValue(secret: SingleValueSecret): StoredSecret {
  return {
    name: secret.name,
    arn: secret.arn,
    description: secret.description,
    createdDate: secret.createdDate,
    versions: [
      {
        versionId: secret.versionId,
        secretString: secret.secretString,
        stages: [AWSCURRENT],
        createdDate: secret.createdDate,
      },
    ],
  };
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
