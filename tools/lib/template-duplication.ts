import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Copy-paste between service templates: the share of a template's non-blank
 * lines that sit in a run of RUN or more consecutive lines (whitespace
 * normalised) found verbatim in another service template. Windows of RUN
 * lines are compared, so a longer shared run is covered by its windows.
 */
export const RUN = 6;
/** Issue 11's ceiling: no service template above this share of copied lines. */
export const MAX_PERCENT = 20;

export interface TemplateDuplication {
  service: string;
  lines: number;
  duplicated: number;
  percent: number;
}

interface Line {
  /** 1-based, in the template as written. */
  number: number;
  text: string;
}

/** A template's non-blank lines, whitespace normalised. */
function normalisedLines(text: string): Line[] {
  return text
    .split("\n")
    .map((line, index) => ({ number: index + 1, text: line.trim().replace(/\s+/g, " ") }))
    .filter((line) => line.text.length > 0);
}

function windows(lines: Line[]): string[] {
  const out: string[] = [];
  for (let start = 0; start + RUN <= lines.length; start++)
    out.push(
      lines
        .slice(start, start + RUN)
        .map((line) => line.text)
        .join("\n"),
    );
  return out;
}

/** Each non-blank line of `service`'s template, with the other templates it sits in a copied run of. */
function copiedLines(lines: Record<string, Line[]>, service: string): Array<Line & { from: string[] }> {
  const own = lines[service] ?? [];
  const elsewhere = new Map<string, string[]>();
  for (const [other, otherLines] of Object.entries(lines)) {
    if (other === service) continue;
    for (const window of new Set(windows(otherLines)))
      elsewhere.set(window, [...(elsewhere.get(window) ?? []), other]);
  }
  const from = own.map(() => new Set<string>());
  windows(own).forEach((window, start) => {
    for (const other of elsewhere.get(window) ?? [])
      for (let at = start; at < start + RUN; at++) from[at]?.add(other);
  });
  return own.map((line, index) => ({ ...line, from: [...(from[index] ?? [])].sort() }));
}

function linesOf(templates: Record<string, string>): Record<string, Line[]> {
  return Object.fromEntries(Object.entries(templates).map(([name, text]) => [name, normalisedLines(text)]));
}

export function measureDuplication(templates: Record<string, string>): TemplateDuplication[] {
  const lines = linesOf(templates);
  return Object.keys(lines).map((service) => {
    const own = copiedLines(lines, service);
    const duplicated = own.filter((line) => line.from.length > 0).length;
    const percent = own.length === 0 ? 0 : (100 * duplicated) / own.length;
    return { service, lines: own.length, duplicated, percent };
  });
}

export interface CopiedRun {
  /** First and last line (1-based) of the run in the service's template. */
  first: number;
  last: number;
  /** Its non-blank lines. */
  lines: number;
  /** Its first line, whitespace normalised. */
  text: string;
  /** The templates it is copied from (or to). */
  from: string[];
}

/** The runs of `service`'s template that are copied, for `npm run templates:duplication -- --show`. */
export function copiedRuns(templates: Record<string, string>, service: string): CopiedRun[] {
  const runs: CopiedRun[] = [];
  let run: CopiedRun | undefined;
  for (const line of copiedLines(linesOf(templates), service)) {
    if (line.from.length === 0) {
      run = undefined;
    } else if (run) {
      run.last = line.number;
      run.lines++;
      run.from = [...new Set([...run.from, ...line.from])].sort();
    } else {
      run = { first: line.number, last: line.number, lines: 1, text: line.text, from: line.from };
      runs.push(run);
    }
  }
  return runs;
}

/** Every src/<service>/template.yaml, by service. */
export function readServiceTemplates(srcDir: string): Record<string, string> {
  const templates: Record<string, string> = {};
  for (const entry of readdirSync(srcDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    try {
      templates[entry.name] = readFileSync(join(srcDir, entry.name, "template.yaml"), "utf8");
    } catch {
      // A folder without a template (shared code, the registrar, the pipeline) is no service.
    }
  }
  return templates;
}
