export { createBackends, type RoleCredentials } from "./backends";
export { type CompiledIntegration, compileApiIntegrations } from "./compile";
export { awsIntegration, type NonProxyContext } from "./stage";
