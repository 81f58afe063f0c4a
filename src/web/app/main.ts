import { describe } from "./api";
import { h, replaceChildren } from "./dom";
import type { PageContext } from "./pages/context";
import { homePage } from "./pages/home";
import { mePage } from "./pages/me";
import { publicPage } from "./pages/public";
import { clearSession, currentSession } from "./session";

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;

function navigate(path: string): void {
  history.pushState(null, "", path);
  void render();
}

function context(): PageContext {
  return { session: currentSession(), navigate, sessionChanged: renderNav };
}

function link(href: string, text: string): HTMLElement {
  return h("a", { href, "data-link": true }, text);
}

function renderNav(): void {
  const session = currentSession();
  if (!session) {
    replaceChildren(nav, link("/", "Sign up or log in"));
    return;
  }
  const logOut = () => {
    clearSession();
    renderNav();
    navigate("/");
  };
  replaceChildren(
    nav,
    link("/me", "My profile"),
    link(`/u/${encodeURIComponent(session.userId)}`, "My public page"),
    h("button", { type: "button", class: "link", onclick: logOut }, `Log out ${session.username}`),
  );
}

async function pageFor(path: string): Promise<HTMLElement> {
  const publicMatch = /^\/u\/([^/]+)\/?$/.exec(path);
  if (publicMatch?.[1]) return publicPage(decodeURIComponent(publicMatch[1]), context());
  if (path === "/me") return mePage(context());
  if (path === "/" || path === "/index.html") return homePage(context());
  return h("section", {}, h("h1", {}, "Page not found"), h("p", {}, link("/", "Go to the start page")));
}

async function render(): Promise<void> {
  main.setAttribute("aria-busy", "true");
  let page: HTMLElement;
  try {
    page = await pageFor(location.pathname);
  } catch (error) {
    page = h(
      "section",
      { class: "failure" },
      h("h1", {}, "This page could not be loaded"),
      h("p", { role: "alert", class: "message error" }, describe(error)),
      h("p", {}, link("/", "Go to the start page")),
    );
  }
  replaceChildren(main, page);
  main.removeAttribute("aria-busy");
  main.focus();
  const heading = page.querySelector("h1")?.textContent;
  if (heading) document.title = `${heading} · Meridian`;
  performance.mark("meridian:rendered");
}

document.addEventListener("click", (event) => {
  const anchor = (event.target as Element | null)?.closest?.("a[data-link]");
  if (!(anchor instanceof HTMLAnchorElement) || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  navigate(anchor.pathname);
});
window.addEventListener("popstate", () => void render());
renderNav();
void render();
