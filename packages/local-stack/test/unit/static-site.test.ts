import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { staticAnswer } from "../../src/gateway/static-site";
import { localizeSiteUrls } from "../../src/template/plan";
import { type StaticSite, securityHeaders, staticSitesOf } from "../../src/template/static-sites";

const PAGE = "text/html,application/xhtml+xml,*/*;q=0.8";
let root: string;
let site: StaticSite;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "static-site-"));
  mkdirSync(join(root, "site", "assets"), { recursive: true });
  writeFileSync(join(root, "site", "index.html"), "<!doctype html><title>app</title>");
  writeFileSync(join(root, "site", "assets", "app.js"), "console.log(1)");
  writeFileSync(join(root, "secret.txt"), "outside the site");
  site = {
    source: "web/Distribution",
    directory: join(root, "site"),
    fallback: "index.html",
    headers: { "x-frame-options": "DENY" },
  };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const body = (answer: ReturnType<typeof staticAnswer>) => String(answer?.body);

describe("staticAnswer", () => {
  test("serves files with their type and the site's headers", () => {
    const answer = staticAnswer(site, "/assets/app.js", "*/*");
    expect(answer?.status).toBe(200);
    expect(answer?.headers).toMatchObject({
      "content-type": "text/javascript; charset=utf-8",
      "x-frame-options": "DENY",
    });
    expect(body(answer)).toBe("console.log(1)");
    expect(body(staticAnswer(site, "/", PAGE))).toContain("<title>app</title>");
  });

  test("a page request for an extensionless path gets the fallback; a fetch of it gets nothing", () => {
    expect(body(staticAnswer(site, "/u/some-user", PAGE))).toContain("<title>app</title>");
    expect(staticAnswer(site, "/u/some-user", "application/json")).toBeUndefined();
    // A missing file is missing, whoever asks.
    expect(staticAnswer(site, "/assets/gone.js", PAGE)).toBeUndefined();
  });

  test("never serves a file outside the site's directory", () => {
    expect(staticAnswer(site, "/../secret.txt", "*/*")).toBeUndefined();
    expect(staticAnswer(site, "/assets/../../secret.txt", "*/*")).toBeUndefined();
    expect(staticAnswer(site, "/assets/app.js\0.html", "*/*")).toBeUndefined();
  });

  test("an unbuilt site answers 503 with the build command", () => {
    const unbuilt = { ...site, directory: join(root, "missing"), build: "npm run build:web" };
    const answer = staticAnswer(unbuilt, "/", PAGE);
    expect(answer?.status).toBe(503);
    expect(JSON.parse(body(answer))).toEqual({
      error: {
        code: "SITE_NOT_BUILT",
        message: "The static site of web/Distribution is not built: run npm run build:web",
      },
    });
  });
});

describe("a template's static site", () => {
  const template = {
    Resources: {
      Headers: {
        Type: "AWS::CloudFront::ResponseHeadersPolicy",
        Properties: {
          ResponseHeadersPolicyConfig: {
            SecurityHeadersConfig: {
              ContentSecurityPolicy: {
                ContentSecurityPolicy: "default-src 'self';\nframe-ancestors 'none'",
                Override: true,
              },
              StrictTransportSecurity: {
                AccessControlMaxAgeSec: 63072000,
                IncludeSubdomains: true,
                Override: true,
              },
              FrameOptions: { FrameOption: "DENY", Override: true },
              ContentTypeOptions: { Override: true },
              ReferrerPolicy: { ReferrerPolicy: "no-referrer", Override: true },
            },
          },
        },
      },
      Cdn: {
        Type: "AWS::CloudFront::Distribution",
        Metadata: {
          StaticSite: { Directory: "dist/site", Fallback: "index.html", ResponseHeadersPolicy: "Headers" },
        },
      },
    },
  };

  test("is read from Metadata.StaticSite, with the policy's security headers as CloudFront sends them", () => {
    const service = {
      name: "web",
      dir: "",
      templatePath: "src/web/template.yaml",
      metadata: { name: "web", dependencies: [], parameters: {} },
      template,
    };
    expect(staticSitesOf(service, "/project")).toEqual([
      {
        source: "web/Cdn",
        directory: "/project/dist/site",
        fallback: "index.html",
        headers: {
          "content-security-policy": "default-src 'self'; frame-ancestors 'none'",
          "strict-transport-security": "max-age=63072000; includeSubDomains",
          "x-frame-options": "DENY",
          "x-content-type-options": "nosniff",
          "referrer-policy": "no-referrer",
        },
      },
    ]);
    expect(securityHeaders(undefined)).toEqual({});
  });

  test("a distribution's URL becomes the gateway's", () => {
    expect(localizeSiteUrls("https://eabc123.cloudfront.net", "http://127.0.0.1:3000/")).toBe(
      "http://127.0.0.1:3000/",
    );
    expect(localizeSiteUrls("https://eabc123.cloudfront.net", undefined)).toBe(
      "https://eabc123.cloudfront.net",
    );
  });
});
