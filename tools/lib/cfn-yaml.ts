import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CfnTemplate, expandLanguageExtensions, mergeGlobals } from "@meridian/local-stack/templates";
import { type CollectionTag, parse, type ScalarTag, type Tags } from "yaml";

/**
 * Parses CloudFormation YAML, turning short-form intrinsics (`!Ref X`,
 * `!GetAtt A.B`, `!Sub ...`) into their long JSON form (`{Ref: X}`,
 * `{"Fn::GetAtt": [A, B]}`) so every tool sees one shape.
 */
const FUNCTIONS = [
  "Base64",
  "Cidr",
  "FindInMap",
  "GetAZs",
  "ImportValue",
  "Join",
  "Select",
  "Split",
  "Sub",
  "Transform",
  "And",
  "Equals",
  "If",
  "Not",
  "Or",
  "ToJsonString",
  "Length",
] as const;

function intrinsicTags(name: string, key: string): Array<ScalarTag | CollectionTag> {
  const tag = `!${name}`;
  const scalar: ScalarTag = {
    tag,
    resolve: (value: string) => ({ [key]: name === "GetAtt" ? splitGetAtt(value) : value }),
  };
  const seq: CollectionTag = {
    tag,
    collection: "seq",
    resolve: (value) => ({ [key]: (value as unknown as { toJSON(): unknown }).toJSON() }),
  };
  const map: CollectionTag = {
    tag,
    collection: "map",
    resolve: (value) => ({ [key]: (value as unknown as { toJSON(): unknown }).toJSON() }),
  };
  return [scalar, seq, map];
}

function splitGetAtt(value: string): [string, string] {
  const dot = value.indexOf(".");
  if (dot < 0) throw new Error(`!GetAtt needs Resource.Attribute, got '${value}'`);
  return [value.slice(0, dot), value.slice(dot + 1)];
}

const CFN_TAGS: Tags = [
  ...intrinsicTags("Ref", "Ref"),
  ...intrinsicTags("Condition", "Condition"),
  ...intrinsicTags("GetAtt", "Fn::GetAtt"),
  ...FUNCTIONS.flatMap((name) => intrinsicTags(name, `Fn::${name}`)),
];

// Tools, the local stack and tests read the same few templates over and over (each service
// nests the shared templates; every test file and CLI loads the project), and the YAML parse
// was most of the cost: each text is parsed once per machine and kept as JSON under
// node_modules/.cache, keyed by the text, this file's own source and the yaml package's
// version (a change to either is a new key). Each caller gets its own copy to change.
// A miss (a template edited, a parser changed) also removes entries written over a
// day ago, so edits do not pile up; one still in use is parsed and written again.
const CACHE_DIR = join(__dirname, "..", "..", "node_modules", ".cache", "cfn-yaml");
const PARSER_KEY = createHash("sha256")
  .update(readFileSync(__filename))
  .update(readFileSync(require.resolve("yaml/package.json")))
  .digest("hex");

export function parseCfnYaml(text: string): unknown {
  const key = createHash("sha256").update(PARSER_KEY).update("\0").update(text).digest("hex");
  const file = join(CACHE_DIR, `${key}.json`);
  try {
    return JSON.parse(readFileSync(file, "utf8")) as unknown;
  } catch {
    // Not cached yet (or unreadable): parse it.
  }
  const parsed: unknown = parse(text, { customTags: CFN_TAGS, schema: "core", merge: false });
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    // Written aside and renamed, so a reader in another process never sees half a file.
    const partial = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
    writeFileSync(partial, JSON.stringify(parsed));
    renameSync(partial, file);
    pruneCache(Date.now() - CACHE_ENTRY_DAY_MS);
  } catch {
    // A cache that cannot be written (read-only checkout) only costs the next parse.
  }
  return parsed;
}

const CACHE_ENTRY_DAY_MS = 24 * 60 * 60_000;

function pruneCache(writtenBefore: number): void {
  for (const name of readdirSync(CACHE_DIR)) {
    const path = join(CACHE_DIR, name);
    try {
      if (statSync(path).mtimeMs < writtenBefore) rmSync(path, { force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

/**
 * The template as CloudFormation runs it after AWS::LanguageExtensions: every
 * Fn::ForEach expanded, so tools and tests read the resources it generates.
 * SAM Globals stay as written (readers merge them, as SAM does).
 */
export function loadTemplate(path: string): CfnTemplate {
  return expandLanguageExtensions(loadRawTemplate(path), path);
}

/** The template as written. */
function loadRawTemplate(path: string): CfnTemplate {
  const parsed = parseCfnYaml(readFileSync(path, "utf8")) as CfnTemplate | null;
  if (!parsed || typeof parsed !== "object" || !parsed.Resources) {
    throw new Error(`${path}: not a CloudFormation template (no Resources)`);
  }
  return parsed;
}

const GLOBALS_SECTION: Record<string, string> = {
  "AWS::Serverless::Function": "Function",
  "AWS::Serverless::Api": "Api",
  "AWS::Serverless::HttpApi": "HttpApi",
  "AWS::Serverless::SimpleTable": "SimpleTable",
  "AWS::Serverless::StateMachine": "StateMachine",
};

/**
 * A resource's Properties as SAM sees them: its Globals section merged in (SAM's rules).
 * A resource written in from a nested stack (inlineNestedStacks) takes no Globals of this template.
 */
export function samProperties(template: CfnTemplate, logicalId: string): Record<string, unknown> {
  const resource = template.Resources[logicalId];
  const nested = resource?.Metadata?.NestedStack !== undefined;
  const section = nested ? undefined : GLOBALS_SECTION[resource?.Type ?? ""];
  const globals = section ? template.Globals?.[section] : undefined;
  return (mergeGlobals(globals, resource?.Properties) ?? {}) as Record<string, unknown>;
}

// The local stack reads templates in this shape too; one definition for both.
export type { CfnParameter, CfnResource, CfnTemplate } from "@meridian/local-stack/templates";
