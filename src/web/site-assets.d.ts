// The built site (npm run build:web writes dist/web/site-assets.json); it may
// not exist when the code is type-checked, so its shape is declared here.
declare module "*/site-assets.json" {
  const site: import("./domain/site").SiteBundle;
  export default site;
}
