export { mergeGlobals } from "./globals";
export * from "./intrinsics";
export * from "./language-extensions";
export * from "./model";
export { evaluatorWithNested } from "./nested";
export * from "./plan";
export * from "./resources";
export * from "./role-policy";
export * from "./static-sites";
