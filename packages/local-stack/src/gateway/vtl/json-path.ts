import { TemplateRuntimeError } from "./util";

/**
 * The JSONPath that `$input.path` / `$input.json` take, as far as templates use it: `$`, `.name`,
 * `['name']`, `[index]` and `[*]`. Anything else (filters, recursive descent, slices) is reported
 * by `jsonPathSupported` and fails the template rather than selecting something else.
 */

type Step = { key: string } | { index: number } | { all: true };

const STEP = /^(?:\.([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[\*\]|\.\*|\['([^']*)'\]|\["([^"]*)"\])/;

function parseJsonPath(path: string): Step[] | undefined {
  const trimmed = path.trim();
  if (!trimmed.startsWith("$")) return undefined;
  const steps: Step[] = [];
  let rest = trimmed.slice(1);
  while (rest.length > 0) {
    const found = STEP.exec(rest);
    if (!found) return undefined;
    const [whole, name, index, quoted, doubleQuoted] = found;
    if (name !== undefined) steps.push({ key: name });
    else if (index !== undefined) steps.push({ index: Number(index) });
    else if (quoted !== undefined || doubleQuoted !== undefined)
      steps.push({ key: quoted ?? doubleQuoted ?? "" });
    else steps.push({ all: true });
    rest = rest.slice(whole.length);
  }
  return steps;
}

export const jsonPathSupported = (path: string): boolean => parseJsonPath(path) !== undefined;

/** The value at `path`, `undefined` when nothing is there. */
export function selectJsonPath(document: unknown, path: string): unknown {
  const steps = parseJsonPath(path);
  if (!steps) throw new TemplateRuntimeError(`JSONPath not supported locally: ${path}`);
  let current: unknown[] = [document];
  let many = false;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const value of current) {
      if ("all" in step) {
        many = true;
        if (Array.isArray(value)) next.push(...value);
        else if (isMap(value)) next.push(...Object.values(value));
      } else if ("index" in step) {
        if (Array.isArray(value) && step.index < value.length) next.push(value[step.index]);
      } else if (isMap(value) && Object.hasOwn(value, step.key)) {
        next.push(value[step.key]);
      }
    }
    current = next;
  }
  return many ? current : current[0];
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
