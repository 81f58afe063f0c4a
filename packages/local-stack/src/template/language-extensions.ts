import { TemplateError } from "../errors";
import type { CfnTemplate } from "../project";

/**
 * The AWS::LanguageExtensions transform's `Fn::ForEach`, expanded as
 * CloudFormation documents it (intrinsic-function-reference-foreach):
 *
 *     Fn::ForEach::LoopName: [Identifier, Collection, {OutputKey: OutputValue}]
 *
 * For each item of the collection the fragment is copied with `${Identifier}`
 * replaced by the item, `&{Identifier}` by the item without its
 * non-alphanumeric characters, and `{Ref: Identifier}` by the item. The
 * OutputKey must contain one of the two forms. Loops nest, and may stand in
 * Conditions, Resources (resource properties included) and Outputs only.
 *
 * The local stack resolves no parameter before it plans, so a collection must
 * be a literal list of strings; anything else fails closed at start-up,
 * naming the template and loop. (Fn::Length, Fn::ToJsonString and
 * Fn::FindInMap's DefaultValue are evaluated by the TemplateEvaluator.)
 */

export const LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions";
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

/** `${Identifier}` -> item, `&{Identifier}` -> item with only its letters and digits. */
function substituteText(text: string, identifier: string, item: string): string {
  return text
    .split(`\${${identifier}}`)
    .join(item)
    .split(`&{${identifier}}`)
    .join(item.replace(/[^A-Za-z0-9]/g, ""));
}

function substitute(value: Json, identifier: string, item: string): Json {
  if (typeof value === "string") return substituteText(value, identifier, item);
  if (Array.isArray(value)) return value.map((entry) => substitute(entry, identifier, item));
  if (!isMap(value)) return value;
  const entries = Object.entries(value);
  if (entries.length === 1 && entries[0]?.[0] === "Ref" && entries[0][1] === identifier) return item;
  return Object.fromEntries(
    entries.map(([key, entry]) => [
      substituteText(key, identifier, item),
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
    if (allowed && isMap(value)) expanded[section] = expandMap(value, `${file}: ${section}`);
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
