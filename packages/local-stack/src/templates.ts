/**
 * Reading templates without running them: the template types, Fn::ForEach
 * expansion and SAM's Globals merge. Tools that only parse templates import
 * this entry point, which loads none of the stack (gateway, DynamoDB, runtime).
 */

export type { CfnParameter, CfnResource, CfnTemplate } from "./project";
export { expandLanguageExtensions, mergeGlobals } from "./template";
