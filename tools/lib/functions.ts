import { basename, extname, join } from "node:path";
import type { FunctionSpec } from "@meridian/local-stack";
import type { CfnTemplate } from "./cfn-yaml";
import { displayPath, ROOT, type Service } from "./project";

interface EsbuildProperties {
  EntryPoints?: string[];
  External?: string[];
  Minify?: boolean;
  Sourcemap?: boolean;
  Target?: string;
  /** Comma-separated, as SAM passes it to esbuild's --main-fields. */
  MainFields?: string;
  Format?: "cjs" | "esm";
  OutExtension?: string[];
}

/**
 * Reads every AWS::Serverless::Function of a service and the esbuild options
 * SAM would use for it (Metadata.BuildProperties), so `npm run bundle` and the
 * local stack build exactly what `sam build` ships.
 */
export function listFunctions(service: Service): FunctionSpec[] {
  const nested = (applications: Service["applications"]): FunctionSpec[] =>
    Object.values(applications ?? {}).flatMap((application) => [
      ...templateFunctions(service.name, application.template, displayPath(application.templatePath)),
      ...nested(application.applications),
    ]);
  return [
    ...templateFunctions(service.name, service.template, `src/${service.name}/template.yaml`),
    ...nested(service.applications),
  ];
}

/** The functions one template declares (a service's own, one nested in it, or pipeline.yaml). */
export function templateFunctions(serviceName: string, template: CfnTemplate, file: string): FunctionSpec[] {
  const specs: FunctionSpec[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== "AWS::Serverless::Function") continue;
    const where = `${file}: ${logicalId}`;
    const metadata = resource.Metadata as
      | { BuildMethod?: string; BuildProperties?: EsbuildProperties }
      | undefined;
    if (metadata?.BuildMethod !== "esbuild")
      throw new Error(`${where}: Metadata.BuildMethod must be esbuild`);
    const props = metadata.BuildProperties ?? {};
    const handler = resource.Properties?.Handler;
    if (typeof handler !== "string" || !handler.includes(".")) {
      throw new Error(`${where}: Properties.Handler must be '<module>.<export>'`);
    }
    const entry = props.EntryPoints?.[0];
    if (!entry || props.EntryPoints?.length !== 1) {
      throw new Error(`${where}: Metadata.BuildProperties.EntryPoints must name exactly one file`);
    }
    const dot = handler.lastIndexOf(".");
    const moduleName = handler.slice(0, dot);
    if (moduleName !== basename(entry, extname(entry))) {
      throw new Error(`${where}: Handler module '${moduleName}' does not match entry point '${entry}'`);
    }
    specs.push({
      service: serviceName,
      logicalId,
      handler,
      moduleName,
      exportName: handler.slice(dot + 1),
      entryPoint: join(ROOT, entry),
      resource,
      buildOptions: {
        bundle: true,
        platform: "node",
        format: props.Format ?? "cjs",
        target: props.Target ?? "es2022",
        minify: props.Minify ?? true,
        sourcemap: props.Sourcemap ?? false,
        external: props.External ?? [],
        ...(props.MainFields === undefined ? {} : { mainFields: props.MainFields.split(",") }),
      },
    });
  }
  return specs;
}

// The local stack builds functions exactly as `npm run bundle` does.
export {
  type BuildResult,
  buildFunctions,
  bundleFunction,
  type FunctionSpec,
} from "@meridian/local-stack";
