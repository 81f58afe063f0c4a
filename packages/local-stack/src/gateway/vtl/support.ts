import { parse } from "velocityjs";
import { INPUT_MEMBERS } from "./input";
import { jsonPathSupported } from "./json-path";
import { UTIL_FUNCTIONS } from "./util";

/**
 * What a template uses that the local stack cannot run the way API Gateway does: directives API
 * Gateway does not offer or that would read files (`#include`, `#parse`, `#evaluate`, `#define`),
 * `$util` / `$input` members that do not exist, Java methods not implemented here, JSONPath beyond
 * the supported subset, `$context.requestOverride`, and variables that are never set. Each finding
 * is one line for the start-up report.
 */

type Node = Record<string, unknown>;

const ROOTS = new Set(["input", "util", "context", "stageVariables", "foreach", "velocityCount"]);
const DIRECTIVES_NOT_RUN = new Set(["include", "parse", "evaluate"]);

export function checkTemplate(asts: unknown, knownMethods: Set<string>): string[] {
  const findings = new Set<string>();
  const locals = new Set<string>();
  const macros = new Set<string>();
  const references: Node[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (!node || typeof node !== "object") return;
    const value = node as Node;
    switch (value.type) {
      case "set": {
        const [target] = value.equal as Node[];
        if (target && typeof target.id === "string") locals.add(target.id);
        break;
      }
      case "foreach":
        if (typeof value.to === "string") locals.add(value.to);
        break;
      case "macro":
        if (typeof value.id === "string") macros.add(value.id);
        for (const arg of Array.isArray(value.args) ? (value.args as Node[]) : []) {
          if (typeof arg.id === "string") locals.add(arg.id);
        }
        return;
      case "define":
        findings.add("#define is not supported");
        break;
      case "macro_call":
        if (DIRECTIVES_NOT_RUN.has(String(value.id))) findings.add(`#${String(value.id)} is not supported`);
        break;
      case "references":
        references.push(value);
        break;
      case "string":
        if (value.isEval === true && typeof value.value === "string" && /[$#]/.test(value.value)) {
          try {
            visit(parse(value.value));
          } catch {
            findings.add(`string "${value.value}" is not valid VTL`);
          }
        }
        return;
      default:
        break;
    }
    for (const child of Object.values(value)) visit(child);
  };
  visit(asts);
  for (const reference of references) checkReference(reference, locals, knownMethods, findings);
  for (const name of collectMacroCalls(asts)) {
    if (!macros.has(name) && !DIRECTIVES_NOT_RUN.has(name)) findings.add(`macro #${name} is not defined`);
  }
  return [...findings];
}

function collectMacroCalls(node: unknown, names = new Set<string>()): Set<string> {
  if (Array.isArray(node)) for (const child of node) collectMacroCalls(child, names);
  else if (node && typeof node === "object") {
    const value = node as Node;
    if (value.type === "macro_call" && typeof value.id === "string") names.add(value.id);
    for (const child of Object.values(value)) collectMacroCalls(child, names);
  }
  return names;
}

function checkReference(
  node: Node,
  locals: Set<string>,
  knownMethods: Set<string>,
  findings: Set<string>,
): void {
  const root = String(node.id);
  const path = (node.path as Node[] | undefined) ?? [];
  if (!ROOTS.has(root) && !locals.has(root)) {
    findings.add(`$${root} is never set (API Gateway offers $input, $util, $context and $stageVariables)`);
    return;
  }
  const [first, ...rest] = path;
  let methods = path;
  if (root === "util" && first) {
    if (first.type !== "method" || !UTIL_FUNCTIONS.has(String(first.id))) {
      findings.add(`$util.${String(first.id)} does not exist in API Gateway`);
    }
    methods = rest;
  } else if (root === "input" && first) {
    if (!INPUT_MEMBERS.has(String(first.id))) findings.add(`$input.${String(first.id)} does not exist`);
    const [argument] = Array.isArray(first.args) ? (first.args as Node[]) : [];
    if ((first.id === "path" || first.id === "json") && argument?.type === "string") {
      if (!jsonPathSupported(String(argument.value))) {
        findings.add(`JSONPath '${String(argument.value)}' is not supported locally`);
      }
    }
    methods = rest;
  } else if (root === "context" && first?.id === "requestOverride") {
    findings.add("$context.requestOverride is not supported locally");
  }
  for (const step of methods) {
    if (step.type === "method" && !knownMethods.has(String(step.id))) {
      findings.add(`method .${String(step.id)}() is not implemented locally`);
    }
  }
}
