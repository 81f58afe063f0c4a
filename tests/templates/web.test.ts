import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { loadTemplate } from "../../tools/lib/cfn-yaml";
import { ROOT } from "../../tools/lib/project";

// biome-ignore lint/suspicious/noExplicitAny: template documents are read as loose JSON in these assertions
type Loose = any;
/** A CloudFormation ${} placeholder, written #{} here so it is not mistaken for a template literal. */
const cfn = (text: string) => text.replaceAll("#{", "$" + "{");

const template = loadTemplate(join(ROOT, "src", "web", "template.yaml"));
const resource = (id: string) => {
  const found = template.Resources[id];
  if (!found) throw new Error(`no ${id} in src/web/template.yaml`);
  return found;
};
const props = (id: string) => (resource(id).Properties ?? {}) as Record<string, Loose>;
const config = props("Distribution").DistributionConfig;
const behaviours: Array<Record<string, Loose>> = [config.DefaultCacheBehavior, ...config.CacheBehaviors];

const CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

/** Runs a CloudFront Function's code on a viewer request the way CloudFront does. */
function viewerRequest(functionId: string, uri: string, accept = "text/html,application/xhtml+xml"): string {
  const code = String(props(functionId).FunctionCode);
  const event = { request: { uri, method: "GET", headers: { accept: { value: accept } }, querystring: {} } };
  return runInNewContext(`${code}\nhandler(event).uri`, { event }) as string;
}

describe("web template: the site bucket", () => {
  const bucket = props("SiteBucket");

  test("is encrypted, versioned and blocks every kind of public access", () => {
    expect(
      bucket.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault,
    ).toEqual({
      SSEAlgorithm: "AES256",
    });
    expect(bucket.VersioningConfiguration).toEqual({ Status: "Enabled" });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.OwnershipControls.Rules).toEqual([{ ObjectOwnership: "BucketOwnerEnforced" }]);
  });

  test("refuses plain HTTP and lets only this distribution read, through Origin Access Control", () => {
    const statements = props("SiteBucketPolicy").PolicyDocument.Statement as Array<Record<string, Loose>>;
    const tls = statements.find((s) => s.Effect === "Deny");
    expect(tls).toMatchObject({
      Principal: "*",
      Action: "s3:*",
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
    const allows = statements.filter((s) => s.Effect === "Allow");
    expect(allows).toHaveLength(1);
    expect(allows[0]).toMatchObject({
      Principal: { Service: "cloudfront.amazonaws.com" },
      Action: "s3:GetObject",
      Condition: {
        StringEquals: {
          "AWS:SourceArn": { "Fn::Sub": expect.stringContaining(cfn(":distribution/#{Distribution}")) },
        },
      },
    });
    const site = config.Origins.find((origin: Record<string, unknown>) => origin.Id === "site");
    expect(site.OriginAccessControlId).toEqual({ "Fn::GetAtt": ["SiteOriginAccessControl", "Id"] });
    expect(site.S3OriginConfig).toEqual({ OriginAccessIdentity: "" });
    expect(props("SiteOriginAccessControl").OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: "s3",
      SigningBehavior: "always",
      SigningProtocol: "sigv4",
    });
  });
});

describe("web template: the distribution", () => {
  const security = props("SecurityHeaders").ResponseHeadersPolicyConfig.SecurityHeadersConfig;

  test("sends a CSP without unsafe-inline or unsafe-eval that forbids framing", () => {
    const csp = String(security.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(security.ContentSecurityPolicy.Override).toBe(true);
  });

  test("sends HSTS for at least a year, nosniff and frame DENY", () => {
    expect(security.StrictTransportSecurity.AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31536000);
    expect(security.StrictTransportSecurity.IncludeSubdomains).toBe(true);
    expect(security.ContentTypeOptions).toEqual({ Override: true });
    expect(security.FrameOptions.FrameOption).toBe("DENY");
  });

  test("every behaviour is HTTPS only and carries the security headers", () => {
    expect.hasAssertions();
    for (const behaviour of behaviours) {
      expect(["redirect-to-https", "https-only"]).toContain(behaviour.ViewerProtocolPolicy);
      expect(behaviour.ResponseHeadersPolicyId).toEqual({ Ref: "SecurityHeaders" });
    }
  });

  test.each([
    "auth",
    "location",
    "profile",
    "comments",
  ])("/%s/* goes to that service's API stage, uncached, with every viewer header but Host", (service) => {
    const behaviour = behaviours.find((b) => b.PathPattern === `/${service}/*`);
    expect(behaviour).toBeDefined();
    expect(behaviour?.CachePolicyId).toBe(CACHING_DISABLED);
    expect(behaviour?.OriginRequestPolicyId).toBe(ALL_VIEWER_EXCEPT_HOST);
    expect(behaviour?.AllowedMethods).toEqual(
      expect.arrayContaining(["GET", "PUT", "POST", "DELETE", "OPTIONS"]),
    );
    expect(behaviour?.FunctionAssociations).toEqual([
      {
        EventType: "viewer-request",
        FunctionARN: { "Fn::GetAtt": ["StripServicePrefixFunction", "FunctionMetadata.FunctionARN"] },
      },
    ]);
    const origin = config.Origins.find((o: Record<string, unknown>) => o.Id === behaviour?.TargetOriginId);
    const parameter = `${service[0]?.toUpperCase()}${service.slice(1)}ApiUrl`;
    expect(JSON.stringify(origin.DomainName)).toContain(`"Ref":"${parameter}"`);
    expect(JSON.stringify(origin.OriginPath)).toContain(`"Ref":"${parameter}"`);
    expect(origin.CustomOriginConfig.OriginProtocolPolicy).toBe("https-only");
    expect(template.Parameters?.[parameter]?.Type).toBe("AWS::SSM::Parameter::Value<String>");
  });

  test("the API paths reach the stage without the service prefix, as the local gateway mounts them", () => {
    expect(viewerRequest("StripServicePrefixFunction", "/auth/users")).toBe("/users");
    expect(viewerRequest("StripServicePrefixFunction", "/profile/profiles/u-1")).toBe("/profiles/u-1");
    expect(viewerRequest("StripServicePrefixFunction", "/auth")).toBe("/");
  });

  test("page requests for the app's routes (/, /me, /u/{userId}) get index.html; files are served as they are", () => {
    expect(config.DefaultCacheBehavior.TargetOriginId).toBe("site");
    expect(config.DefaultCacheBehavior.AllowedMethods).toEqual(["GET", "HEAD"]);
    expect(viewerRequest("SpaRoutesFunction", "/u/3f0c-42")).toBe("/index.html");
    expect(viewerRequest("SpaRoutesFunction", "/me")).toBe("/index.html");
    expect(viewerRequest("SpaRoutesFunction", "/")).toBe("/index.html");
    expect(viewerRequest("SpaRoutesFunction", "/assets/app-1234.js")).toBe("/assets/app-1234.js");
    // A fetch (Accept: application/json) of a path no behaviour serves fails instead of getting the page.
    expect(viewerRequest("SpaRoutesFunction", "/comments/profiles/u-1/comments", "application/json")).toBe(
      "/comments/profiles/u-1/comments",
    );
    // Error pages for the whole distribution would turn the APIs' 403/404 into the page.
    expect(config.CustomErrorResponses).toBeUndefined();
  });

  test("publishes its URL in SSM", () => {
    const parameter = props("SiteUrlParameter");
    expect(parameter.Name).toEqual({ "Fn::Sub": cfn("/meridian/#{Environment}/web/site/url") });
    expect(parameter.Value).toEqual({ "Fn::Sub": cfn("https://#{Distribution.DomainName}") });
  });
});

describe("web template: publishing the site", () => {
  test("a new build (a new function version) re-runs the custom resource", () => {
    // From Globals, like every function's alias.
    expect(props("SiteDeployerFunction").AutoPublishAlias).toBeUndefined();
    expect(template.Globals?.Function?.AutoPublishAlias).toBe("live");
    expect(props("SiteContent")).toMatchObject({
      ServiceToken: { "Fn::GetAtt": ["SiteDeployerFunction", "Arn"] },
      BucketName: { Ref: "SiteBucket" },
      DistributionId: { Ref: "Distribution" },
      SiteVersion: { Ref: "SiteDeployerFunction.Version" },
    });
  });

  test("the deployer may only put objects in the site bucket and invalidate this distribution", () => {
    const statements = props("SiteDeployerFunction").Policies.flatMap(
      (policy: { Statement: unknown[] }) => policy.Statement,
    );
    expect(statements).toEqual([
      { Effect: "Allow", Action: ["s3:PutObject"], Resource: { "Fn::Sub": cfn("#{SiteBucket.Arn}/*") } },
      {
        Effect: "Allow",
        Action: ["cloudfront:CreateInvalidation"],
        Resource: {
          "Fn::Sub": cfn("arn:#{AWS::Partition}:cloudfront::#{AWS::AccountId}:distribution/#{Distribution}"),
        },
      },
    ]);
  });
});
