import { Compile, parse } from "velocityjs";
import type { GatewayInput } from "./input";
import { KNOWN_METHODS, methodsFor } from "./java-methods";
import { checkTemplate } from "./support";
import { GatewayUtil, TemplateRuntimeError } from "./util";

/**
 * One API Gateway mapping template: parsed once when the stack starts, checked for what the local
 * stack cannot run (reported at start; such a template fails every request, closed), rendered per
 * request with velocityjs and API Gateway's variables on top.
 */

export interface TemplateScope {
  input: GatewayInput;
  /** `$context`, without `responseOverride` (each render gets a fresh one). */
  context: Record<string, unknown>;
  stageVariables: Record<string, string>;
}

export interface ResponseOverride {
  status?: number;
  header: Record<string, string>;
}

export interface Rendered {
  body: string;
  responseOverride: ResponseOverride;
}

/** The template uses something the local stack does not run: it fails closed. */
export class TemplateUnsupported extends Error {}

type Ast = ReturnType<typeof parse>;

const javaMethods = {
  uid: "java methods",
  match: ({ context }: { context: unknown }) => methodsFor(context) !== undefined,
  resolve: ({ context, property, params }: { context: unknown; property: string; params: unknown[] }) => {
    const method = methodsFor(context)?.[property] as ((...args: unknown[]) => unknown) | undefined;
    return method ? method(context, ...params) : undefined;
  },
};

/** Velocity as API Gateway runs it: a null reference renders as nothing, never as "null". */
class GatewayCompile extends Compile {
  protected override getReferences(ast: Ast[number], isVal?: boolean): string {
    const value = super.getReferences(ast, isVal) as unknown;
    return (isVal && value === null ? "" : value) as string;
  }
}

export class MappingTemplate {
  private constructor(
    readonly source: string,
    private readonly asts: Ast,
    /** What the local stack cannot run in this template; empty when it runs all of it. */
    readonly unsupported: string[],
  ) {}

  static compile(source: string): MappingTemplate {
    let asts: Ast;
    try {
      asts = parse(source);
    } catch (error) {
      return new MappingTemplate(source, [], [`not valid VTL: ${(error as Error).message.split("\n")[0]}`]);
    }
    return new MappingTemplate(source, asts, checkTemplate(asts, KNOWN_METHODS));
  }

  render(scope: TemplateScope): Rendered {
    if (this.unsupported.length > 0) {
      throw new TemplateUnsupported(`mapping template not run locally: ${this.unsupported.join("; ")}`);
    }
    const responseOverride: Record<string, unknown> = { header: {} };
    const variables = {
      input: scope.input,
      util: new GatewayUtil(),
      context: { ...scope.context, responseOverride },
      stageVariables: { ...scope.stageVariables },
    };
    const compiled = new GatewayCompile(this.asts, { customMethodHandlers: [javaMethods] });
    let body: string;
    try {
      body = compiled.render(variables, undefined, true);
    } catch (error) {
      if (error instanceof TemplateRuntimeError) throw error;
      throw new TemplateRuntimeError(`mapping template failed: ${(error as Error).message}`);
    }
    return { body, responseOverride: readOverride(responseOverride) };
  }
}

function readOverride(value: Record<string, unknown>): ResponseOverride {
  const header: Record<string, string> = {};
  const headers = value.header;
  if (headers && typeof headers === "object") {
    for (const [name, text] of Object.entries(headers)) {
      if (text !== null && text !== undefined) header[name] = String(text);
    }
  }
  const status = Number(value.status);
  return Number.isInteger(status) && status >= 100 && status <= 599 ? { status, header } : { header };
}
