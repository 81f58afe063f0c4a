export * from "./bundle";
export { BundleCache } from "./bundle-cache";
export { pruneCodeCache } from "./code-cache";
export * from "./environment";
export * from "./pool";
