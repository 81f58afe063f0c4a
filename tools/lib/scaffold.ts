import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/**
 * `npm run new-service`'s pieces: a new service is an existing one copied
 * under the new name (so it has the shape every other service has today),
 * then added wherever the repository lists its services. Each step is a text
 * edit that keeps the files' layout and comments.
 */

/** The service every new one is copied from: one table, one API, two functions. */
export const MODEL_SERVICE = "location";

export const SERVICE_NAME = /^[a-z][a-z0-9]{1,19}$/;

export interface Names {
  /** `location` -> `hello` */
  lower: string;
  /** `Location` -> `Hello` */
  pascal: string;
  /** `LOCATION` -> `HELLO` */
  upper: string;
}

export function namesOf(name: string): Names {
  return { lower: name, pascal: name.charAt(0).toUpperCase() + name.slice(1), upper: name.toUpperCase() };
}

/**
 * The model's name in every spelling becomes the new one's; `Location:` as a
 * YAML key stays (it is AWS::Serverless::Application's property, not the service).
 */
export function renamer(from: Names, to: Names): (text: string) => string {
  const pattern = new RegExp(`${from.lower}|${from.pascal}|${from.upper}`, "g");
  return (text) =>
    text.replace(pattern, (match: string, offset: number) => {
      const lineStart = text.lastIndexOf("\n", offset) + 1;
      const yamlKey =
        /^\s*$/.test(text.slice(lineStart, offset)) && text.startsWith(": ", offset + match.length);
      if (yamlKey && match === "Location") return match;
      if (match === from.lower) return to.lower;
      return match === from.pascal ? to.pascal : to.upper;
    });
}

/** Copies a directory tree, renaming paths and contents; returns the files written. */
export function copyTree(from: string, to: string, rename: (text: string) => string): string[] {
  const written: string[] = [];
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, rename(entry.name));
    if (entry.isDirectory()) {
      written.push(...copyTree(source, target, rename));
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, rename(readFileSync(source, "utf8")));
    written.push(target);
  }
  return written;
}

const indentOf = (line: string): number => line.length - line.trimStart().length;

/**
 * After every YAML block whose first line matches `header` (the line and the
 * more-indented lines below it), a renamed copy of that block.
 */
export function copyYamlBlocks(text: string, header: RegExp, rename: (text: string) => string): string {
  const lines = text.split("\n");
  const out: string[] = [];
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? "";
    out.push(line);
    if (!header.test(line)) continue;
    let end = index + 1;
    while (end < lines.length) {
      const next = lines[end] ?? "";
      if (next.trim() !== "" && indentOf(next) <= indentOf(line)) break;
      end++;
    }
    while (end > index + 1 && (lines[end - 1] ?? "").trim() === "") end--;
    const block = lines.slice(index, end);
    // A block set apart by a blank line gets its copy set apart too.
    const apart = (lines[end] ?? "").trim() === "" && end < lines.length - 1 ? [""] : [];
    out.push(...block.slice(1), ...apart, ...rename(block.join("\n")).split("\n"));
    index = end - 1;
  }
  return out.join("\n");
}

/**
 * The root template's nested stack for `to`, a renamed copy of the model's,
 * placed before `before`'s (the service after it in deploy order) or, last
 * in that order, after the model's.
 */
export function addNestedStack(
  text: string,
  from: Names,
  before: Names | undefined,
  rename: (text: string) => string,
): string {
  const lines = text.split("\n");
  const blockAt = (pascal: string) => lines.indexOf(`  ${pascal}Service:`);
  const start = blockAt(from.pascal);
  if (start < 0) throw new Error(`template.yaml has no ${from.pascal}Service to copy`);
  let end = start + 1;
  while (end < lines.length && ((lines[end] ?? "").trim() === "" || indentOf(lines[end] ?? "") > 2)) end++;
  while ((lines[end - 1] ?? "").trim() === "") end--;
  const copy = rename(lines.slice(start, end).join("\n")).split("\n");
  const at = before === undefined ? -1 : blockAt(before.pascal);
  if (at >= 0) lines.splice(at, 0, ...copy, "");
  else lines.splice(end, 0, "", ...copy);
  return lines.join("\n");
}

/** The lines of the dashboard widget (`{ ... }`) around line `at`. */
function widgetAround(lines: string[], at: number): { start: number; end: number } {
  let start = at;
  while (start > 0 && !/^\s*\{\s*$/.test(lines[start] ?? "")) start--;
  const indent = indentOf(lines[start] ?? "");
  let end = at;
  while (end < lines.length && !new RegExp(`^ {${indent}}\\},?\\s*$`).test(lines[end] ?? "")) end++;
  return { start, end };
}

/**
 * ops' dashboard: the model's widgets (titled `Location: ...`) copied below
 * every other widget, and its series in the shared widgets (cold starts,
 * unhealthy runs) copied next to its own.
 */
export function addDashboardWidgets(text: string, from: Names, rename: (text: string) => string): string {
  const lines = text.split("\n");
  const own = lines.flatMap((line, at) => (line.includes(`"title": "${from.pascal}: `) ? [at] : []));
  if (own.length === 0) throw new Error(`the dashboard has no "${from.pascal}: ..." widgets to copy`);
  const widgets = own.map((at) => widgetAround(lines, at));
  const inOwn = (at: number) => widgets.some((widget) => at >= widget.start && at <= widget.end);
  const bottom = Math.max(
    ...[...text.matchAll(/"y": (\d+), "width": \d+, "height": (\d+)/g)].map(
      ([, y, h]) => Number(y) + Number(h),
    ),
  );
  const top = Math.min(
    ...widgets.map((widget) => Number(/"y": (\d+)/.exec(lines[widget.start + 1] ?? "")?.[1])),
  );
  const copies = widgets.map((widget) =>
    rename(lines.slice(widget.start, widget.end + 1).join("\n"))
      .replace(/,\s*$/, "")
      .replace(/"y": (\d+)/, (_, y: string) => `"y": ${bottom + Number(y) - top}`),
  );
  const series = `"service", "${from.lower}", {"stat": "Sum", "label": "${from.pascal}"}]`;
  const out: string[] = [];
  for (const [at, line] of lines.entries()) {
    if (!line.includes(series) || inOwn(at)) {
      out.push(line);
      continue;
    }
    // The copy takes the original's place in the list; the original gains a comma if it was last.
    out.push(line.trimEnd().endsWith(",") ? line : `${line},`, rename(line));
  }
  const lastWidget = out.findLastIndex(
    (line, at) => /^\s*\}\s*$/.test(line) && /^\s*\]\s*$/.test(out[at + 1] ?? ""),
  );
  out[lastWidget] = `${out[lastWidget]},`;
  out.splice(lastWidget + 1, 0, copies.join(",\n"));
  return out.join("\n");
}

/** events/README.md: the model's rows (its functions' sample events) copied after the last of them. */
export function addEventRows(text: string, from: Names, rename: (text: string) => string): string {
  const lines = text.split("\n");
  const rows = lines.flatMap((line, at) =>
    line.startsWith("| `npm run invoke -- ") && line.includes(`${from.pascal}Function `) ? [at] : [],
  );
  const last = rows.at(-1);
  if (last === undefined) return text;
  lines.splice(last + 1, 0, ...rows.map((at) => rename(lines[at] ?? "")));
  return lines.join("\n");
}

/** The model's sample events (events/<...Location...>.json), renamed; returns the files written. */
export function copyEvents(eventsDir: string, from: Names, rename: (text: string) => string): string[] {
  return readdirSync(eventsDir)
    .filter((file) => file.endsWith(".json") && file.includes(from.pascal))
    .map((file) => {
      const target = join(eventsDir, rename(file));
      copyFileSync(join(eventsDir, file), target);
      writeFileSync(target, rename(readFileSync(target, "utf8")));
      return target;
    });
}

/** `file`, edited in place by `edit`; refuses an edit that changes nothing (the layout moved on). */
export function editFile(file: string, edit: (text: string) => string, root: string): string {
  const before = readFileSync(file, "utf8");
  const after = edit(before);
  if (after === before)
    throw new Error(`${relative(root, file)}: found nothing of ${MODEL_SERVICE}'s to copy`);
  writeFileSync(file, after);
  return file;
}
