import { matches, replaceAll, replaceFirst, split } from "./java-regex";

/**
 * The Java methods mapping templates call on the values they hold. API Gateway runs Velocity on
 * the JVM, so `$s.length()`, `$list.size()` or `$map.keySet()` are java.lang.String, List and Map
 * methods; here values are JavaScript strings, arrays and plain objects, and each method is
 * implemented with Java's semantics (`trim()` strips chars <= U+0020, `replace` is literal and
 * replaces all, `replaceAll` is a regex). A method not listed renders nothing (Velocity leaves a
 * failed call's reference as is; API Gateway renders it empty), and `unsupportedMethods` reports it
 * at start.
 */

type Method = (self: never, ...args: never[]) => unknown;

const text = (value: unknown): string => (value === null || value === undefined ? "null" : String(value));
const index = (value: unknown): number => {
  const number = Number(value);
  if (!Number.isInteger(number)) throw new TypeError(`not an int: ${text(value)}`);
  return number;
};

function javaTrim(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) <= 0x20) start++;
  while (end > start && value.charCodeAt(end - 1) <= 0x20) end--;
  return value.slice(start, end);
}

function substring(self: string, begin: unknown, end?: unknown): string {
  const from = index(begin);
  const to = end === undefined ? self.length : index(end);
  if (from < 0 || to > self.length || from > to) {
    throw new RangeError(`String index out of range: begin ${from}, end ${to}, length ${self.length}`);
  }
  return self.slice(from, to);
}

const stringMethods: Record<string, Method> = {
  length: (self: string) => self.length,
  isEmpty: (self: string) => self.length === 0,
  trim: (self: string) => javaTrim(self),
  toLowerCase: (self: string) => self.toLowerCase(),
  toUpperCase: (self: string) => self.toUpperCase(),
  toString: (self: string) => self,
  equals: (self: string, other: unknown) => self === other,
  equalsIgnoreCase: (self: string, other: unknown) =>
    typeof other === "string" && self.toLowerCase() === other.toLowerCase(),
  contains: (self: string, part: unknown) => self.includes(text(part)),
  startsWith: (self: string, prefix: unknown) => self.startsWith(text(prefix)),
  endsWith: (self: string, suffix: unknown) => self.endsWith(text(suffix)),
  indexOf: (self: string, part: unknown, from?: unknown) =>
    self.indexOf(text(part), from === undefined ? 0 : index(from)),
  lastIndexOf: (self: string, part: unknown) => self.lastIndexOf(text(part)),
  charAt: (self: string, at: unknown) => substring(self, at, index(at) + 1),
  substring,
  concat: (self: string, other: unknown) => self + text(other),
  replace: (self: string, target: unknown, replacement: unknown) =>
    self.split(text(target)).join(text(replacement)),
  replaceAll: (self: string, pattern: unknown, replacement: unknown) =>
    replaceAll(self, text(pattern), text(replacement)),
  replaceFirst: (self: string, pattern: unknown, replacement: unknown) =>
    replaceFirst(self, text(pattern), text(replacement)),
  matches: (self: string, pattern: unknown) => matches(self, text(pattern)),
  split: (self: string, pattern: unknown) => split(self, text(pattern)),
};

function listGet(self: unknown[], at: unknown): unknown {
  const i = index(at);
  if (i < 0 || i >= self.length) throw new RangeError(`Index ${i} out of bounds for length ${self.length}`);
  return self[i];
}

const listMethods: Record<string, Method> = {
  size: (self: unknown[]) => self.length,
  isEmpty: (self: unknown[]) => self.length === 0,
  get: listGet,
  contains: (self: unknown[], value: unknown) => self.includes(value),
  indexOf: (self: unknown[], value: unknown) => self.indexOf(value),
  add: (self: unknown[], value: unknown) => {
    self.push(value);
    return true;
  },
  subList: (self: unknown[], from: unknown, to: unknown) => self.slice(index(from), index(to)),
  toString: (self: unknown[]) => self,
};

type JavaMap = Record<string, unknown>;
const own = (self: JavaMap, key: unknown): boolean => Object.hasOwn(self, text(key));

const mapMethods: Record<string, Method> = {
  size: (self: JavaMap) => Object.keys(self).length,
  isEmpty: (self: JavaMap) => Object.keys(self).length === 0,
  get: (self: JavaMap, key: unknown) => (own(self, key) ? self[text(key)] : null),
  containsKey: (self: JavaMap, key: unknown) => own(self, key),
  keySet: (self: JavaMap) => Object.keys(self),
  values: (self: JavaMap) => Object.values(self),
  entrySet: (self: JavaMap) => Object.entries(self).map(([key, value]) => ({ key, value })),
  put: (self: JavaMap, key: unknown, value: unknown) => {
    const previous = own(self, key) ? self[text(key)] : null;
    self[text(key)] = value;
    return previous;
  },
  remove: (self: JavaMap, key: unknown) => {
    const previous = own(self, key) ? self[text(key)] : null;
    delete self[text(key)];
    return previous;
  },
  toString: (self: JavaMap) => self,
};

const scalarMethods: Record<string, Method> = {
  toString: (self: unknown) => text(self),
  intValue: (self: number) => Math.trunc(self),
  equals: (self: unknown, other: unknown) => self === other,
};

export function methodsFor(value: unknown): Record<string, Method> | undefined {
  if (typeof value === "string") return stringMethods;
  if (Array.isArray(value)) return listMethods;
  if (typeof value === "number" || typeof value === "boolean") return scalarMethods;
  if (value !== null && typeof value === "object" && isPlainObject(value)) return mapMethods;
  return undefined;
}

/** A JSON object or a map literal (from any realm: structuredClone's objects are not this realm's). */
function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === null || Object.getPrototypeOf(prototype) === null;
}

/** Every method name some Java type here implements: a call to another one is reported at start. */
export const KNOWN_METHODS = new Set([
  ...Object.keys(stringMethods),
  ...Object.keys(listMethods),
  ...Object.keys(mapMethods),
  ...Object.keys(scalarMethods),
]);
