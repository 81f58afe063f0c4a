/**
 * The only way the app builds markup: elements and text nodes, never HTML
 * strings, so whatever a user stored renders as text.
 */
type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | number | boolean | EventListener | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.replace(/^on/, ""), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** User-written text: isolated from the surrounding direction, so RTL overrides cannot flip the page. */
export function userText(text: string, tag: "bdi" | "p" = "bdi"): HTMLElement {
  const element = document.createElement(tag);
  element.className = "user-text";
  element.dir = "auto";
  element.textContent = text;
  return element;
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A message area announced to screen readers; `alert` for errors. */
export function messageBox(): {
  element: HTMLElement;
  error(text: string): void;
  info(text: string): void;
  clear(): void;
} {
  const element = h("div", { class: "message", "aria-live": "polite" });
  return {
    element,
    error(text) {
      element.className = "message error";
      element.setAttribute("role", "alert");
      element.textContent = text;
    },
    info(text) {
      element.className = "message info";
      element.setAttribute("role", "status");
      element.textContent = text;
    },
    clear() {
      element.className = "message";
      element.removeAttribute("role");
      element.textContent = "";
    },
  };
}

export function field(
  label: string,
  input: HTMLInputElement | HTMLTextAreaElement,
  hint?: string,
): HTMLElement {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 10)}`;
  input.id = id;
  const hintElement = hint ? h("span", { class: "hint", id: `${id}-hint` }, hint) : null;
  if (hintElement) input.setAttribute("aria-describedby", hintElement.id);
  return h("div", { class: "field" }, h("label", { for: id }, label), input, hintElement);
}
