import { TemplateError } from "../errors";
import type { CfnTemplate } from "../project";

/**
 * The AWS::LanguageExtensions transform's `Fn::ForEach`, expanded as
 * CloudFormation documents it (intrinsic-function-reference-foreach):
 *
 *     Fn::ForEach::LoopName: [Identifier, Collection, {OutputKey: OutputValue}]
 *
 * For each item of the collection the fragment is copied with `${Identifier}`
 * replaced by the item and `&{Identifier}` by the item without its
 * non-alphanumeric characters in map keys, `${Identifier}` in Fn::Sub strings
 * (a Sub left without variables becomes its string), and `{Ref: Identifier}`
 * by the item; other strings stay as written. cfn-lint's expansion does the
 * same, except that it also applies `&{}` inside Fn::Sub, which CloudFormation
 * leaves literal. The
 * OutputKey must contain one of the two forms. Loops nest, and may stand in
 * Conditions, Resources (resource properties included) and Outputs only.
 *
 * The local stack resolves no parameter before it plans, so a collection must
 * be a literal list of strings; anything else fails closed at start-up,
 * naming the template and loop. (Fn::Length, Fn::ToJsonString and
 * Fn::FindInMap's DefaultValue are evaluated by the TemplateEvaluator.)
 */

const LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions";
const FOR_EACH = "Fn::ForEach::";
const EXPANDED_SECTIONS = ["Conditions", "Resources", "Outputs"] as const;

type Json = unknown;

function isMap(value: Json): value is Record<string, Json> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function transforms(template: CfnTemplate): string[] {
  const { Transform: transform } = template;
  if (transform === undefined) return [];
  return Array.isArray(transform) ? transform : [transform];
}

function containsForEach(value: Json): boolean {
  if (Array.isArray(value)) return value.some(containsForEach);
  if (!isMap(value)) return false;
  return Object.entries(value).some(([key, item]) => key.startsWith(FOR_EACH) || containsForEach(item));
}

/** `${Identifier}` -> item; in a key, also `&{Identifier}` -> item with only its letters and digits. */
function substituteText(text: string, identifier: string, item: string, inKey = false): string {
  const replaced = text.split(`\${${identifier}}`).join(item);
  return inKey ? replaced.split(`&{${identifier}}`).join(item.replace(/[^A-Za-z0-9]/g, "")) : replaced;
}

const PLACEHOLDER = /[$&]\{[A-Za-z0-9.:]+\}/;

/** A Fn::Sub string: the identifier replaced, and the Sub gone when no variable is left. */
function substituteSub(argument: Json, identifier: string, item: string): Json {
  const [text, variables] = Array.isArray(argument) ? argument : [argument, undefined];
  if (typeof text !== "string") return { "Fn::Sub": substitute(argument, identifier, item) };
  const replaced = substituteText(text, identifier, item);
  if (!PLACEHOLDER.test(replaced)) return replaced;
  if (!Array.isArray(argument)) return { "Fn::Sub": replaced };
  return { "Fn::Sub": [replaced, substitute(variables, identifier, item), ...argument.slice(2)] };
}

/**
 * One item applied to a fragment where CloudFormation applies it: map keys,
 * Fn::Sub strings and `Ref: Identifier` (a Ref whose argument becomes a
 * string, `Ref: !Sub ...`, refers to that name). Other strings stay as written.
 */
function substitute(value: Json, identifier: string, item: string): Json {
  if (Array.isArray(value)) return value.map((entry) => substitute(entry, identifier, item));
  if (!isMap(value)) return value;
  const entries = Object.entries(value);
  const [only] = entries;
  if (entries.length === 1 && only) {
    const [key, argument] = only;
    if (key === "Fn::Sub") return substituteSub(argument, identifier, item);
    if (key === "Ref") {
      const name = isMap(argument) ? substitute(argument, identifier, item) : argument;
      return name === identifier ? item : { Ref: name };
    }
    if (key === "Fn::If" && Array.isArray(argument)) {
      // The condition's name is not an item's place; its branches are.
      const [condition, ...branches] = argument;
      return { "Fn::If": [condition, ...branches.map((branch) => substitute(branch, identifier, item))] };
    }
  }
  return Object.fromEntries(
    entries.map(([key, entry]) => [
      substituteText(key, identifier, item, true),
      substitute(entry, identifier, item),
    ]),
  );
}

function collectionItems(collection: Json, where: string): string[] {
  if (!Array.isArray(collection)) {
    throw new TemplateError(
      `${where}: the collection must be a literal list (a Ref to a parameter or another intrinsic is resolved only by CloudFormation; the local stack does not support it)`,
    );
  }
  return collection.map((item, index) => {
    if (typeof item === "string") return item;
    if (typeof item === "number" || typeof item === "boolean") return String(item);
    throw new TemplateError(`${where}: collection item ${index} is not a string`);
  });
}

function expandLoop(name: string, loop: Json, where: string): Array<[string, Json]> {
  if (!Array.isArray(loop) || loop.length !== 3) {
    throw new TemplateError(`${where}: expected [Identifier, Collection, {OutputKey: OutputValue}]`);
  }
  const [identifier, collection, fragment] = loop as [Json, Json, Json];
  if (typeof identifier !== "string" || !/^[A-Za-z0-9]+$/.test(identifier)) {
    throw new TemplateError(`${where}: the identifier must be an alphanumeric string`);
  }
  if (!isMap(fragment) || Object.keys(fragment).length === 0) {
    throw new TemplateError(`${where}: the third element must be a map {OutputKey: OutputValue}`);
  }
  for (const key of Object.keys(fragment)) {
    if (key.startsWith(FOR_EACH)) continue;
    if (!key.includes(`\${${identifier}}`) && !key.includes(`&{${identifier}}`)) {
      throw new TemplateError(
        `${where}: OutputKey '${key}' must contain \${${identifier}} or &{${identifier}} (loop ${name})`,
      );
    }
  }
  return collectionItems(collection, where).flatMap((item) =>
    Object.entries(expandMap(substitute(fragment, identifier, item) as Record<string, Json>, where)),
  );
}

function expandMap(map: Record<string, Json>, where: string): Record<string, Json> {
  const out: Record<string, Json> = {};
  const add = (key: string, value: Json): void => {
    if (key in out) throw new TemplateError(`${where}: '${key}' is declared twice (by Fn::ForEach)`);
    out[key] = value;
  };
  for (const [key, value] of Object.entries(map)) {
    if (key.startsWith(FOR_EACH)) {
      const name = key.slice(FOR_EACH.length);
      for (const [outputKey, outputValue] of expandLoop(name, value, `${where}.${key}`))
        add(outputKey, outputValue);
    } else {
      add(key, expandValue(value, `${where}.${key}`));
    }
  }
  return out;
}

/** Fn::FindInMap with literal keys into a declared mapping is its value, as the transform resolves it. */
function resolveFindInMap(value: Json, mappings: CfnTemplate["Mappings"]): Json {
  if (Array.isArray(value)) return value.map((item) => resolveFindInMap(item, mappings));
  if (!isMap(value)) return value;
  const lookup = value["Fn::FindInMap"];
  if (Object.keys(value).length === 1 && Array.isArray(lookup)) {
    const [map, top, second] = lookup.map((item) => resolveFindInMap(item, mappings));
    if (typeof map === "string" && typeof top === "string" && typeof second === "string") {
      const found = mappings?.[map]?.[top]?.[second];
      if (found !== undefined) return found;
    }
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, resolveFindInMap(item, mappings)]),
  );
}

function expandValue(value: Json, where: string): Json {
  if (Array.isArray(value)) return value.map((item, index) => expandValue(item, `${where}[${index}]`));
  return isMap(value) ? expandMap(value, where) : value;
}

/**
 * The template with every Fn::ForEach expanded (the template itself when it
 * has none). `file` names the template in errors.
 */
export function expandLanguageExtensions(template: CfnTemplate, file = "template"): CfnTemplate {
  if (!containsForEach(template)) return template;
  if (!transforms(template).includes(LANGUAGE_EXTENSIONS)) {
    throw new TemplateError(`${file}: Fn::ForEach needs 'Transform: ${LANGUAGE_EXTENSIONS}'`);
  }
  const expanded: Record<string, Json> = { ...template };
  for (const [section, value] of Object.entries(template)) {
    const allowed = (EXPANDED_SECTIONS as readonly string[]).includes(section);
    if (!allowed && containsForEach(value)) {
      throw new TemplateError(
        `${file}: ${section}: Fn::ForEach may stand only in Conditions, Resources and Outputs`,
      );
    }
    if (allowed && isMap(value)) {
      expanded[section] = resolveFindInMap(expandMap(value, `${file}: ${section}`), template.Mappings);
    }
  }
  const resources = template.Resources as Record<string, Json>;
  for (const key of Object.keys(resources)) {
    const loopName = key.startsWith(FOR_EACH) ? key.slice(FOR_EACH.length) : undefined;
    if (loopName && loopName in (expanded.Resources as Record<string, Json>)) {
      throw new TemplateError(`${file}: loop name '${loopName}' is also a resource's logical id`);
    }
  }
  return expanded as unknown as CfnTemplate;
}
