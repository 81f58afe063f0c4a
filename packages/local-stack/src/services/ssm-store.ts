import { AwsError } from "../errors";
import { readJsonFile, writeJsonFile } from "../support";

/** SSM Parameter Store semantics the local endpoint serves, persisted as one JSON file. */

export type ParameterType = "String" | "StringList" | "SecureString";

export interface StoredParameter {
  name: string;
  type: ParameterType;
  value: string;
  version: number;
  /** Epoch milliseconds. */
  lastModified: number;
  description?: string;
  dataType: string;
}

const NAME = /^[a-zA-Z0-9_.\-/]+$/;
const MAX_NAME = 2048;
const MAX_DEPTH = 15;
const MAX_VALUE_BYTES = 4096;

export interface PutParameterInput {
  name: string;
  value: string;
  type?: string;
  overwrite?: boolean;
  description?: string;
  dataType?: string;
}

export class ParameterStore {
  private readonly parameters = new Map<string, StoredParameter>();

  /** `file` undefined keeps the store in memory (tests of the store itself). */
  constructor(private readonly file?: string) {
    if (file) {
      for (const parameter of readJsonFile<StoredParameter[]>(file, []))
        this.parameters.set(parameter.name, parameter);
    }
  }

  /** Accepts a name, an ARN, or either with a `:version` selector. */
  get(reference: string): StoredParameter {
    const { name, version } = parseReference(reference);
    const parameter = this.parameters.get(name);
    if (!parameter) throw new AwsError("ParameterNotFound", `Parameter ${name} not found.`);
    if (version !== undefined && version !== parameter.version) {
      // Only the latest version is kept locally.
      throw new AwsError(
        "ParameterVersionNotFound",
        `Systems Manager could not find version ${version} of ${name}.`,
      );
    }
    return parameter;
  }

  find(reference: string): StoredParameter | undefined {
    try {
      return this.get(reference);
    } catch {
      return undefined;
    }
  }

  /** Direct children of `path`, or every descendant when `recursive`; sorted by name. */
  byPath(path: string, recursive: boolean): StoredParameter[] {
    if (!path.startsWith("/"))
      throw new AwsError("ValidationException", "The parameter path must begin with a forward slash (/).");
    const prefix = path.endsWith("/") ? path : `${path}/`;
    return [...this.parameters.values()]
      .filter((parameter) => {
        if (!parameter.name.startsWith(prefix)) return false;
        return recursive || !parameter.name.slice(prefix.length).includes("/");
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  put(input: PutParameterInput): StoredParameter {
    const name = parseReference(input.name).name;
    validateName(name);
    if (Buffer.byteLength(input.value, "utf8") > MAX_VALUE_BYTES) {
      throw new AwsError(
        "ValidationException",
        `Standard tier parameters support a maximum value of ${MAX_VALUE_BYTES} bytes.`,
      );
    }
    if (input.value === "") throw new AwsError("ValidationException", "Parameter value must not be empty.");
    const existing = this.parameters.get(name);
    if (existing && !input.overwrite) {
      throw new AwsError(
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
      );
    }
    const type = input.type ?? existing?.type;
    if (type === undefined)
      throw new AwsError("ValidationException", "A parameter type is required when you create a parameter.");
    if (type !== "String" && type !== "StringList" && type !== "SecureString") {
      throw new AwsError(
        "ValidationException",
        `1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]`,
      );
    }
    const parameter: StoredParameter = {
      name,
      type,
      value: input.value,
      version: (existing?.version ?? 0) + 1,
      lastModified: Date.now(),
      description: input.description ?? existing?.description,
      dataType: input.dataType ?? existing?.dataType ?? "text",
    };
    this.parameters.set(name, parameter);
    this.save();
    return parameter;
  }

  /** Publishes a template's parameter; leaves it (and its version) alone when nothing changed, as CloudFormation does. */
  publish(
    input: Required<Pick<PutParameterInput, "name" | "value" | "type">> & { description?: string },
  ): StoredParameter {
    const existing = this.parameters.get(input.name);
    if (existing && existing.value === input.value && existing.type === input.type) return existing;
    return this.put({ ...input, overwrite: true });
  }

  delete(reference: string): void {
    const { name } = parseReference(reference);
    if (!this.parameters.delete(name))
      throw new AwsError("ParameterNotFound", `Parameter ${name} not found.`);
    this.save();
  }

  private save(): void {
    if (this.file) writeJsonFile(this.file, [...this.parameters.values()]);
  }
}

function parseReference(reference: string): { name: string; version?: number } {
  let name = reference;
  // The ARN of `/a/b` is `...:parameter/a/b`; of a flat `name` it is `...:parameter/name`.
  const arn = /^arn:[^:]+:ssm:[^:]*:[^:]*:parameter(\/.*)$/.exec(reference);
  if (arn?.[1]) name = arn[1].indexOf("/", 1) > 0 ? arn[1] : arn[1].slice(1);
  const selector = /^(.*):(\d+)$/.exec(name);
  if (selector?.[1] && selector[2]) return { name: selector[1], version: Number(selector[2]) };
  return { name };
}

function validateName(name: string): void {
  const problem = (message: string): never => {
    throw new AwsError("ValidationException", message);
  };
  if (name.length === 0 || name.length > MAX_NAME)
    problem(`Parameter name must be 1-${MAX_NAME} characters.`);
  if (!NAME.test(name)) {
    problem(
      'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore).',
    );
  }
  const bare = name.replace(/^\//, "");
  if (/^(aws|ssm)/i.test(bare))
    problem('Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).');
  if (name.includes("/") && !name.startsWith("/")) problem("Parameter name must be a fully qualified name.");
  if (name.split("/").length - 1 > MAX_DEPTH)
    problem(`A parameter name can have at most ${MAX_DEPTH} levels of hierarchy.`);
  if (name.includes("//") || (name.length > 1 && name.endsWith("/")))
    problem("Parameter name must be a fully qualified name.");
}

export function parameterArn(parameter: StoredParameter, region: string, accountId: string): string {
  const path = parameter.name.startsWith("/") ? parameter.name : `/${parameter.name}`;
  return `arn:aws:ssm:${region}:${accountId}:parameter${path}`;
}
