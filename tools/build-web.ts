import { relative } from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT } from "./lib/project";
import { SITE_DIR, writeSite } from "./lib/web-site";

/** npm run build:web: builds the public page into dist/web and prints each file's size, raw and gzipped. */
async function main(): Promise<void> {
  const started = performance.now();
  const site = await writeSite();
  let raw = 0;
  let gzipped = 0;
  for (const file of site.files) {
    const zipped = gzipSync(file.body, { level: 9 }).length;
    raw += file.body.length;
    gzipped += zipped;
    console.log(
      `${file.key.padEnd(40)} ${(file.body.length / 1024).toFixed(1).padStart(7)} KiB  ${(zipped / 1024).toFixed(1).padStart(6)} KiB gzipped`,
    );
  }
  console.log(
    `${"total".padEnd(40)} ${(raw / 1024).toFixed(1).padStart(7)} KiB  ${(gzipped / 1024).toFixed(1).padStart(6)} KiB gzipped`,
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  console.log(`Site ${site.version} built into ${relative(ROOT, SITE_DIR)}/ in ${seconds}s`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
