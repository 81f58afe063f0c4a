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

function normalisedLines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim().replace(/\s+/g, " "))
    .filter((line) => line.length > 0);
}

function windows(lines: string[]): string[] {
  const out: string[] = [];
  for (let start = 0; start + RUN <= lines.length; start++)
    out.push(lines.slice(start, start + RUN).join("\n"));
  return out;
}

export function measureDuplication(templates: Record<string, string>): TemplateDuplication[] {
  const lines = Object.fromEntries(
    Object.entries(templates).map(([name, text]) => [name, normalisedLines(text)]),
  );
  return Object.keys(lines).map((service) => {
    const own = lines[service] ?? [];
    const elsewhere = new Set(
      Object.entries(lines).flatMap(([other, otherLines]) => (other === service ? [] : windows(otherLines))),
    );
    const copied = new Array<boolean>(own.length).fill(false);
    windows(own).forEach((window, start) => {
      if (elsewhere.has(window)) copied.fill(true, start, start + RUN);
    });
    const duplicated = copied.filter(Boolean).length;
    const percent = own.length === 0 ? 0 : (100 * duplicated) / own.length;
    return { service, lines: own.length, duplicated, percent };
  });
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
