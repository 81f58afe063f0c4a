import { selectJsonPath } from "./json-path";
import { TemplateRuntimeError } from "./util";

/** The method request's parameters, as API Gateway passes them to `$input.params()`. */
export interface RequestParameters {
  path: Record<string, string>;
  querystring: Record<string, string>;
  header: Record<string, string>;
}

/** The body could not be read as JSON by `$input.path` / `$input.json`: API Gateway answers 400. */
export class BodyNotJson extends TemplateRuntimeError {}

/**
 * `$input`: the method request's body and parameters in a request template, the integration's
 * response body (and still the method request's parameters) in a response template. An empty body
 * reads as `{}`, as on API Gateway.
 */
export class GatewayInput {
  private parsed: { value: unknown } | undefined;

  constructor(
    readonly body: string,
    private readonly parameters: RequestParameters,
  ) {}

  private document(): unknown {
    if (!this.parsed) {
      if (this.body.trim() === "") this.parsed = { value: {} };
      else {
        try {
          this.parsed = { value: JSON.parse(this.body) };
        } catch {
          throw new BodyNotJson("Could not parse request body into json");
        }
      }
    }
    return this.parsed.value;
  }

  /** The JSON at `path` as a value templates can navigate (a missing one is null, rendering nothing). */
  path(path: unknown): unknown {
    const value = selectJsonPath(this.document(), String(path));
    return value === undefined ? null : structuredClone(value);
  }

  /** The JSON at `path` serialized as JSON text (nothing for a missing one). */
  json(path: unknown): string {
    const value = selectJsonPath(this.document(), String(path));
    return value === undefined ? "" : JSON.stringify(value);
  }

  /** With a name: the path, then query string, then header value of that name; "" when none has it. */
  params(name?: unknown): unknown {
    if (name === undefined) {
      return {
        path: { ...this.parameters.path },
        querystring: { ...this.parameters.querystring },
        header: { ...this.parameters.header },
      };
    }
    const key = String(name);
    const { path, querystring, header } = this.parameters;
    if (Object.hasOwn(path, key)) return path[key];
    if (Object.hasOwn(querystring, key)) return querystring[key];
    const lower = key.toLowerCase();
    const headerName = Object.keys(header).find((candidate) => candidate.toLowerCase() === lower);
    return headerName === undefined ? "" : header[headerName];
  }
}

export const INPUT_MEMBERS = new Set(["body", "path", "json", "params"]);
