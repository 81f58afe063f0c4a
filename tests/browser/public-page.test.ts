import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { releaseTestStack, sharedTestStack, type TestStack } from "../support/local-stack";
import { collectPageErrors, eventually, launchChromium, screenshot } from "./browser";

const text = async (locator: Locator) => String(await locator.first().textContent());
const visible = (locator: Locator) => locator.first().waitFor({ state: "visible", timeout: 15_000 });
const hasText = (locator: Locator, expected: string | RegExp) =>
  eventually(async () => {
    const actual = await text(locator);
    if (typeof expected === "string") expect(actual).toContain(expected);
    else expect(actual).toMatch(expected);
  });

/**
 * The public page in a real browser against the local stack: what a person
 * does, end to end, through the same origin CloudFront gives on AWS.
 */
jest.setTimeout(120_000);

const PASSWORD = "correct horse battery staple";
let stack: TestStack;
let browser: Browser;
let base: string;
const contexts: BrowserContext[] = [];

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  contexts.push(context);
  return context;
}

let sharedWindow: BrowserContext | undefined;

/**
 * A new tab of the one browser the tests share. Nobody is logged in in it: the
 * app keeps the token in its tab's sessionStorage only, which a new tab starts
 * without (and a token that leaked to other tabs would show here). A context
 * costs Chromium ~0.8 s of CPU more than a tab (a window of its own).
 */
async function newPage(): Promise<Page> {
  sharedWindow ??= await newContext();
  return sharedWindow.newPage();
}

/** A fresh browser: a context of its own, sharing no storage, cache or cookies with the other pages. */
async function freshBrowser(): Promise<Page> {
  return (await newContext()).newPage();
}

async function signUpAndLogIn(page: Page, username: string): Promise<string> {
  await page.goto(`${base}/`);
  await page.locator("#signup-username").fill(username);
  await page.locator("#signup-password").fill(PASSWORD);
  await page.getByRole("button", { name: "Create account" }).click();
  await visible(page.getByText(`Account ${username} created`));
  await logIn(page, username);
  const href = await page.locator("#public-link").getAttribute("href");
  return decodeURIComponent(String(href).replace("/u/", ""));
}

async function logIn(page: Page, username: string): Promise<void> {
  if (!page.url().startsWith(base)) await page.goto(`${base}/`);
  await page.locator("#login-username").fill(username);
  await page.locator("#login-password").fill(PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await visible(page.locator("#display-name"));
}

async function saveProfile(page: Page, displayName: string, bio: string): Promise<void> {
  await page.locator("#display-name").fill(displayName);
  await page.locator("#bio").fill(bio);
  await page.getByRole("button", { name: "Save profile" }).click();
}

/** Signs a user up and logs in through the API (not the page), for data the test needs around it. */
async function apiToken(name: string): Promise<string> {
  const json = { "content-type": "application/json" };
  const credentials = JSON.stringify({ username: name, password: PASSWORD });
  const created = await fetch(`${stack.endpoints.auth}/users`, {
    method: "POST",
    headers: json,
    body: credentials,
  });
  expect(created.status).toBe(201);
  const login = await fetch(`${stack.endpoints.auth}/tokens`, {
    method: "POST",
    headers: json,
    body: credentials,
  });
  return ((await login.json()) as { token: string }).token;
}

const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;

beforeAll(async () => {
  [stack, browser] = await Promise.all([sharedTestStack(), launchChromium()]);
  base = stack.gatewayUrl;
  // Registered in the catalog, as the registrars' schedule does within seconds of npm start.
  await stack.runSchedules();
});

afterAll(() => releaseTestStack(stack));

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
});

describe("the public profile page in Chromium", () => {
  const username = unique("ada");
  let userId = "";
  let chosen = { latitude: 0, longitude: 0 };

  test("sign up, log in, edit the profile and set the location by clicking the map", async () => {
    const page = await newPage();
    const errors = collectPageErrors(page);
    userId = await signUpAndLogIn(page, username);
    await saveProfile(page, "Ada Lovelace", "Analyst of engines.");
    await visible(page.getByText("Saved (version 1)."));

    const map = page.locator("svg.world-map");
    await map.scrollIntoViewIfNeeded();
    const box = await map.boundingBox();
    if (!box) throw new Error("the map has no size");
    // Paris: x = lon + 180, y = 90 - lat in the map's 360 x 180 view box.
    await map.click({ position: { x: (box.width * 182.35) / 360, y: (box.height * (90 - 48.86)) / 180 } });
    chosen = {
      latitude: Number(await page.locator("#latitude").inputValue()),
      longitude: Number(await page.locator("#longitude").inputValue()),
    };
    expect(Math.abs(chosen.latitude - 48.86)).toBeLessThan(1);
    expect(Math.abs(chosen.longitude - 2.35)).toBeLessThan(1);
    await page.getByRole("button", { name: "Save location" }).click();
    await visible(page.getByText(/^Location saved:/));
    await screenshot(page, "my-profile");
    expect(errors).toEqual([]);
  });

  test("a fresh browser (not logged in) sees the name, the bio and the rounded location on the map", async () => {
    const page = await freshBrowser();
    const errors = collectPageErrors(page);
    // A cold location function can miss profile's deadline on a loaded machine: the page then says
    // "Location unavailable" (tested below) and a reload, as a person would do, gets it.
    await eventually(async () => {
      await page.goto(`${base}/u/${encodeURIComponent(userId)}`);
      expect(await text(page.locator("#location-text"))).toMatch(/^Location: /);
    }, 30_000);
    await hasText(page.locator("h1"), "Ada Lovelace");
    await visible(page.getByText("Analyst of engines."));
    const lat = chosen.latitude.toFixed(2);
    const lon = chosen.longitude.toFixed(2);
    await hasText(page.locator("#location-text"), `Location: ${lat}° N, ${lon}° E`);
    // The map's text alternative carries the same coordinates.
    expect(await page.locator("svg.world-map").getAttribute("aria-label")).toBe(
      `World map with a marker at ${lat}° N, ${lon}° E`,
    );
    await eventually(async () =>
      expect(await page.locator("svg.world-map .marker").getAttribute("visibility")).toBe("visible"),
    );
    expect(await page.locator("svg.world-map path.land").getAttribute("d")).toMatch(/^M/);
    await visible(page.getByRole("link", { name: "Sign up or log in" }));
    const firstRenderMs = Number(
      await page.evaluate(`performance.getEntriesByName("meridian:rendered")[0]?.startTime ?? -1`),
    );
    expect(firstRenderMs).toBeGreaterThan(0);
    console.log(`first render of /u/{userId}: ${firstRenderMs.toFixed(0)} ms after navigation start`);
    await screenshot(page, "public-page");
    expect(errors).toEqual([]);
  });

  test("the public page says the location is unavailable when the location service is down", async () => {
    const page = await newPage();
    await stack.stopService("location");
    try {
      await page.goto(`${base}/u/${encodeURIComponent(userId)}`);
      await hasText(page.locator("h1"), "Ada Lovelace");
      await hasText(page.locator("#location-text"), "Location unavailable");
      expect(await page.locator("svg.world-map").count()).toBe(0);
    } finally {
      await stack.startService("location");
    }
  });

  test("comments: post one logged in, see it from a fresh browser, load more with nextToken, delete my own", async () => {
    const page = await newPage();
    await logIn(page, username);
    await page.goto(`${base}/u/${encodeURIComponent(userId)}`);
    await visible(page.getByText("No comments yet."));
    // Ten older comments from another user, through the API, so the page has more than one page of them.
    const token = await apiToken(unique("cy"));
    for (let n = 1; n <= 10; n++) {
      const posted = await fetch(
        `${stack.endpoints.comments}/profiles/${encodeURIComponent(userId)}/comments`,
        {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify({ message: `Older comment ${n}` }),
        },
      );
      expect(posted.status).toBe(201);
    }
    await page.locator("#comment-message").fill("A <b>bold</b> claim about engines");
    await page.getByRole("button", { name: "Post comment" }).click();
    await visible(page.getByText("Comment posted."));

    const viewer = await freshBrowser();
    await viewer.goto(`${base}/u/${encodeURIComponent(userId)}`);
    const comments = viewer.locator("li.comment");
    await hasText(comments.first(), "A <b>bold</b> claim about engines");
    expect(await viewer.locator("li.comment b").count()).toBe(0);
    await eventually(async () => expect(await comments.count()).toBe(10));
    // Not logged in: no form, no delete buttons.
    expect(await viewer.locator("#comment-message").count()).toBe(0);
    expect(await viewer.getByRole("button", { name: "Delete my comment" }).count()).toBe(0);
    await viewer.getByRole("button", { name: "Load more comments" }).click();
    await eventually(async () => expect(await comments.count()).toBe(11));
    await hasText(comments.last(), "Older comment 1");
    await eventually(async () =>
      expect(await viewer.getByRole("button", { name: "Load more comments" }).isHidden()).toBe(true),
    );
    await screenshot(viewer, "public-page-comments");

    // The author sees a delete button on their own comment only, and it is gone for everyone after.
    await page.reload();
    const mine = page.locator("li.comment", { hasText: "A <b>bold</b> claim" });
    await visible(mine);
    expect(await page.getByRole("button", { name: "Delete my comment" }).count()).toBe(1);
    await mine.getByRole("button", { name: "Delete my comment" }).click();
    await visible(page.getByText("Comment deleted."));
    await viewer.reload();
    await hasText(viewer.locator("li.comment").first(), "Older comment 10");
  });

  test("two tabs editing the same profile: the second save is refused with a clear 412 message", async () => {
    expect.hasAssertions();
    const first = await newPage();
    const second = await newPage();
    await logIn(first, username);
    await logIn(second, username);
    await saveProfile(first, "Ada (first tab)", "Edited in the first tab.");
    await visible(first.getByText(/^Saved \(version \d+\)\.$/));
    await saveProfile(second, "Ada (second tab)", "Edited in the second tab.");
    const message = second.getByRole("alert");
    await hasText(message, "Not saved: this profile was changed elsewhere since you opened it");
    await screenshot(second, "conflict");
    await second.getByRole("button", { name: "Reload" }).click();
    await eventually(async () =>
      expect(await second.locator("#display-name").inputValue()).toBe("Ada (first tab)"),
    );
  });

  test("API failures are shown as the API's message, never a blank page", async () => {
    const page = await newPage();
    await page.goto(`${base}/`);
    await page.locator("#signup-username").fill(unique("bob"));
    await page.locator("#signup-password").fill("short");
    await page.getByRole("button", { name: "Create account" }).click();
    await hasText(page.getByRole("alert"), /password/i);

    await page.goto(`${base}/u/no-such-user`);
    await hasText(page.getByRole("alert"), /not found|no profile/i);

    await stack.stopService("profile");
    try {
      await page.goto(`${base}/u/${encodeURIComponent(userId)}`);
      await hasText(page.locator("h1"), "This page could not be loaded");
      expect((await text(page.getByRole("alert"))).length).toBeGreaterThan(10);
      await screenshot(page, "api-failure");
    } finally {
      await stack.startService("profile");
    }
  });

  test("hostile text in a profile and a comment renders as text, never as markup", async () => {
    const page = await newPage();
    const hostile = unique("eve");
    const eveId = await signUpAndLogIn(page, hostile);
    const name = `<img src=x onerror="window.__pwned='name'">\u202Eevil`;
    const longWord = "W".repeat(400);
    const bio = `<script>window.__pwned='bio'</script>\u202Edesrever ${longWord}`;
    await saveProfile(page, name, bio);
    await visible(page.getByText(/^Saved/));
    const comment = `<img src=x onerror="window.__pwned='comment'"><script>window.__pwned='c'</script>\u202E${"Z".repeat(300)}`;
    await page.goto(`${base}/u/${encodeURIComponent(eveId)}`);
    await page.locator("#comment-message").fill(comment);
    await page.getByRole("button", { name: "Post comment" }).click();
    await visible(page.getByText("Comment posted."));

    const viewer = await newPage();
    await viewer.goto(`${base}/u/${encodeURIComponent(eveId)}`);
    await hasText(viewer.locator("h1"), name);
    await hasText(viewer.locator("article > p.user-text"), bio);
    await hasText(viewer.locator("li.comment p.user-text"), comment);
    // Runs in the page (a string: this file is type-checked without the DOM library).
    const report = await viewer.evaluate(`(() => {
      const main = document.querySelector("main");
      return {
        pwned: window.__pwned ?? null,
        markup: main.querySelectorAll("img, script, iframe").length,
        isolated: getComputedStyle(document.querySelector("h1 bdi")).unicodeBidi,
        overflows: main.scrollWidth > main.clientWidth + 1,
        pageOverflows: document.documentElement.scrollWidth > window.innerWidth + 1,
      };
    })()`);
    expect(report).toEqual({
      pwned: null,
      markup: 0,
      isolated: "isolate",
      overflows: false,
      pageOverflows: false,
    });
    await screenshot(viewer, "hostile-text");
  });
});
