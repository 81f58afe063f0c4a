/**
 * Java's regex API (`String.matches/replaceAll/replaceFirst/split`) on JavaScript's RegExp. The
 * syntax templates use (classes, groups, quantifiers, anchors, escapes) means the same in both;
 * what JavaScript lacks (possessive quantifiers, `\A`, `\Z`, inline flags) fails to compile and
 * the template fails, rather than matching something else.
 */

const cache = new Map<string, RegExp>();

function javaPattern(pattern: string, global = false, whole = false): RegExp {
  const key = `${global ? "g" : ""}${whole ? "w" : ""}:${pattern}`;
  let compiled = cache.get(key);
  if (!compiled) {
    if (/\\[AZz]|[*+?}]\+|\(\?[a-zA-Z-]+[:)]/.test(pattern)) {
      throw new SyntaxError(`Java regex feature not supported locally: ${pattern}`);
    }
    compiled = new RegExp(whole ? `^(?:${pattern})$` : pattern, global ? "gu" : "u");
    cache.set(key, compiled);
  }
  compiled.lastIndex = 0;
  return compiled;
}

/** A Java replacement string: `$n` is a group, `\x` is a literal x, everything else is itself. */
function javaReplacement(replacement: string): (match: string, ...groups: unknown[]) => string {
  return (match, ...rest) => {
    const groups = rest.slice(0, -2) as (string | undefined)[];
    let out = "";
    for (let i = 0; i < replacement.length; i++) {
      const char = replacement[i];
      if (char === "\\" && i + 1 < replacement.length) {
        out += replacement[++i];
      } else if (char === "$") {
        const digits = /^\d+/.exec(replacement.slice(i + 1))?.[0];
        if (digits === undefined) throw new SyntaxError(`Illegal group reference in '${replacement}'`);
        const group = Number(digits);
        if (group > groups.length) throw new SyntaxError(`No group ${group} in '${replacement}'`);
        out += group === 0 ? match : (groups[group - 1] ?? "");
        i += digits.length;
      } else {
        out += char;
      }
    }
    return out;
  };
}

export function replaceAll(text: string, pattern: string, replacement: string): string {
  return text.replace(javaPattern(pattern, true), javaReplacement(replacement));
}

export function replaceFirst(text: string, pattern: string, replacement: string): string {
  return text.replace(javaPattern(pattern), javaReplacement(replacement));
}

export function matches(text: string, pattern: string): boolean {
  return javaPattern(pattern, false, true).test(text);
}

/** `String.split(regex)`: trailing empty strings are dropped, and a zero-width match never leads. */
export function split(text: string, pattern: string): string[] {
  if (text === "") return [""];
  const parts: string[] = [];
  const regex = javaPattern(pattern, true);
  let from = 0;
  for (const found of text.matchAll(regex)) {
    const at = found.index ?? 0;
    if (found[0] === "" && at === 0) continue;
    if (found[0] === "" && at >= text.length) break;
    parts.push(text.slice(from, at));
    from = at + found[0].length;
  }
  parts.push(text.slice(from));
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}
