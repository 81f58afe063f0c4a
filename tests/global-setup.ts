import { writeSite } from "../tools/lib/web-site";

/**
 * Once before every test run: the web page's build (dist/web), which the
 * browser tests serve and the web stack's deployer function bundles, exactly
 * as npm start and the deploy scripts build it first.
 */
export default async function globalSetup(): Promise<void> {
  await writeSite();
}
