import { en } from "zod/locales";
import { config } from "zod/mini";

/*
 * Every schema is built from here, `import * as z from "../shared/schema"`:
 * zod/mini rather than classic zod, because its functions tree-shake and a
 * bundle carries only the checks it uses (classic zod put about 90 KiB in
 * every function). Mini installs no locale, so without this every issue
 * would read "Invalid input" instead of the messages the API has always sent.
 */
config(en());

export * from "zod/mini";
