export { clfTime, type RequestFacts, templateContext } from "./context";
export { BodyNotJson, GatewayInput, type RequestParameters } from "./input";
export {
  MappingTemplate,
  type Rendered,
  type ResponseOverride,
  type TemplateScope,
  TemplateUnsupported,
} from "./template";
export {
  base64Decode,
  base64Encode,
  escapeJavaScript,
  TemplateRuntimeError,
  urlDecode,
  urlEncode,
} from "./util";
