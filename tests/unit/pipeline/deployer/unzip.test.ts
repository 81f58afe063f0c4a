import { readZip } from "../../../../src/pipeline/deployer/unzip";
import { createZip } from "../../../../tools/lib/zip";

/**
 * Written by Python's zipfile to an unseekable stream, as streaming zippers
 * (CodeBuild's among them) do: data descriptors instead of sizes in the local
 * headers, a directory entry, one stored and one deflated file.
 */
const STREAMED_ZIP =
  "UEsDBBQACAAAAAAAIQAAAAAAAAAAAAAAAAAIAAAAY29uZmlncy9QSwcIAAAAAAAAAAAAAAAAUEsDBBQACAAAAIqbdV0AAAAAAAAAAAAAAAANAAAAbWFuaWZlc3QuanNvbnsic3RvcmVkIjp0cnVlfVBLBwhOLmUkDwAAAA8AAABQSwMEFAAIAAgAipt1XQAAAAAAAAAAAAAAABUAAABjb25maWdzL2Rldi9hdXRoLmpzb26rVgpILErMTS1JLSpWsqpWcs0ryyzKz8tNzStRslJKSS1Tqq2tHlUzqmaIqAEAUEsHCIB+1mEuAAAA0AIAAFBLAQIUAxQACAAAAAAAIQAAAAAAAAAAAAAAAAAIAAAAAAAAAAAAAACAAQAAAABjb25maWdzL1BLAQIUAxQACAAAAIqbdV1OLmUkDwAAAA8AAAANAAAAAAAAAAAAAACAATYAAABtYW5pZmVzdC5qc29uUEsBAhQDFAAIAAgAipt1XYB+1mEuAAAA0AIAABUAAAAAAAAAAAAAAIABgAAAAGNvbmZpZ3MvZGV2L2F1dGguanNvblBLBQYAAAAAAwADALQAAADxAAAAAAA=";

describe("readZip", () => {
  test("reads back what tools/lib/zip.ts writes", () => {
    const entries = [
      { name: "manifest.json", data: Buffer.from('{"format":"x"}') },
      { name: "packages/auth/Fn-abc.zip", data: Buffer.alloc(10_000, 7) },
    ];

    const files = readZip(createZip(entries));

    expect([...files.keys()].sort()).toEqual(["manifest.json", "packages/auth/Fn-abc.zip"]);
    expect(files.get("packages/auth/Fn-abc.zip")?.equals(Buffer.alloc(10_000, 7))).toBe(true);
  });

  test("reads streamed zips (data descriptors), skipping directory entries", () => {
    const files = readZip(Buffer.from(STREAMED_ZIP, "base64"));

    expect([...files.keys()].sort()).toEqual(["configs/dev/auth.json", "manifest.json"]);
    expect(files.get("manifest.json")?.toString()).toBe('{"stored":true}');
    expect(files.get("configs/dev/auth.json")?.toString()).toBe(
      '{"Parameters":{"Environment":"dev"}}'.repeat(20),
    );
  });

  test("refuses a corrupted entry rather than deploying it", () => {
    const zip = createZip([{ name: "manifest.json", data: Buffer.from("x".repeat(100)) }]);
    // Past the 30-byte local header and the 13-byte name: the compressed data.
    zip[45] = (zip[45] ?? 0) ^ 0xff;

    expect(() => readZip(zip)).toThrow(/manifest.json|corrupt|invalid/i);
  });

  test("refuses something that is not a zip", () => {
    expect(() => readZip(Buffer.from("<Error><Code>AccessDenied</Code></Error>"))).toThrow(/not a zip file/);
  });
});
