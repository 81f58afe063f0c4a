export * from "./bundle";
export { BundleCache } from "./bundle-cache";
export * from "./environment";
export * from "./pool";
