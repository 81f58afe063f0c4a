import Ajv, { type ErrorObject, type ValidateFunction } from "ajv-draft-04";

/**
 * API Gateway's request validation: a model is a JSON Schema draft 4 document, and a validator
 * checks the body against the method's model for the request's content type and/or that required
 * parameters are present. A failure is answered by API Gateway itself (BAD_REQUEST_BODY /
 * BAD_REQUEST_PARAMETERS, 400) before any integration runs; `$context.error.validationErrorString`
 * carries the reasons.
 */

export type ValidationOutcome =
  | { ok: true }
  | { ok: false; type: "BAD_REQUEST_BODY" | "BAD_REQUEST_PARAMETERS"; message: string; reasons: string };

/** Draft-4 schemas compiled once; `$ref: #/definitions/...` inside a model resolves within it. */
export class RequestModels {
  private readonly ajv = new Ajv({ allErrors: true, strict: false });
  private readonly compiled = new Map<string, ValidateFunction>();
  readonly problems: string[] = [];

  constructor(models: Record<string, unknown>) {
    for (const [name, schema] of Object.entries(models)) {
      try {
        this.compiled.set(name, this.ajv.compile(schema as object));
      } catch (error) {
        this.problems.push(`model ${name} is not a valid JSON Schema draft 4: ${(error as Error).message}`);
      }
    }
  }

  has(name: string): boolean {
    return this.compiled.has(name);
  }

  /** The body against model `name`; a body that is not JSON fails like any schema violation. */
  validateBody(name: string, body: string): ValidationOutcome {
    const validate = this.compiled.get(name);
    if (!validate)
      return {
        ok: false,
        type: "BAD_REQUEST_BODY",
        message: "Invalid request body",
        reasons: `[model ${name} is unknown]`,
      };
    let document: unknown;
    try {
      document = JSON.parse(body === "" ? "null" : body);
    } catch {
      return {
        ok: false,
        type: "BAD_REQUEST_BODY",
        message: "Invalid request body",
        reasons: "[Invalid JSON]",
      };
    }
    if (validate(document)) return { ok: true };
    return {
      ok: false,
      type: "BAD_REQUEST_BODY",
      message: "Invalid request body",
      reasons: `[${(validate.errors ?? []).map(describe).join(", ")}]`,
    };
  }
}

/** Required parameters (`method.request.querystring.x`, `.header.x`, `.path.x`) that are absent. */
export function missingParameters(
  required: string[],
  present: {
    querystring: Record<string, string>;
    header: Record<string, string>;
    path: Record<string, string>;
  },
): ValidationOutcome {
  const missing: string[] = [];
  for (const name of required) {
    const [, where, key] = /^method\.request\.(querystring|header|path)\.(.+)$/.exec(name) ?? [];
    if (!where || !key) continue;
    const values = present[where as "querystring" | "header" | "path"];
    const found =
      where === "header"
        ? Object.keys(values).some((candidate) => candidate.toLowerCase() === key.toLowerCase())
        : Object.hasOwn(values, key);
    if (!found) missing.push(key);
  }
  if (missing.length === 0) return { ok: true };
  return {
    ok: false,
    type: "BAD_REQUEST_PARAMETERS",
    message: `Missing required request parameters: [${missing.join(", ")}]`,
    reasons: `[Missing required request parameters: [${missing.join(", ")}]]`,
  };
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === "" ? "object" : `instance ${error.instancePath}`;
  return `${where} ${error.message ?? "is invalid"}`;
}
