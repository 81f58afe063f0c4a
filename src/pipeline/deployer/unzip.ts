import { crc32, inflateRawSync } from "node:zlib";

/**
 * Reads a pipeline artifact (a zip CodeBuild wrote) into memory. Entries are
 * located through the central directory, because CodeBuild's zips may
 * stream entries with data descriptors (sizes absent from local headers).
 * Names are only used as map keys, never as file system paths.
 */
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_FILE_HEADER = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;
/** The end record is 22 bytes plus a comment of at most 65,535. */
const MAX_END_SEARCH = 22 + 0xffff;

function endOfCentralDirectory(zip: Buffer): number {
  const stop = Math.max(0, zip.length - MAX_END_SEARCH);
  for (let offset = zip.length - 22; offset >= stop; offset--) {
    if (zip.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY) return offset;
  }
  throw new Error("not a zip file (no end of central directory record)");
}

function inflate(name: string, raw: Buffer): Buffer {
  try {
    return inflateRawSync(raw);
  } catch (error) {
    throw new Error(`${name}: corrupt zip entry (${(error as Error).message})`);
  }
}

export function readZip(zip: Buffer): Map<string, Buffer> {
  const end = endOfCentralDirectory(zip);
  const count = zip.readUInt16LE(end + 10);
  const directoryOffset = zip.readUInt32LE(end + 16);
  if (count === 0xffff || directoryOffset === 0xffffffff) {
    throw new Error("zip64 archives are not supported (the artifact is expected to be small)");
  }
  const files = new Map<string, Buffer>();
  let offset = directoryOffset;
  for (let index = 0; index < count; index++) {
    if (zip.readUInt32LE(offset) !== CENTRAL_FILE_HEADER)
      throw new Error(`corrupt zip: bad central header #${index}`);
    const method = zip.readUInt16LE(offset + 10);
    const expectedCrc = zip.readUInt32LE(offset + 16);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localOffset = zip.readUInt32LE(offset + 42);
    const name = zip.toString("utf8", offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith("/")) continue;

    if (zip.readUInt32LE(localOffset) !== LOCAL_FILE_HEADER)
      throw new Error(`corrupt zip: bad local header for ${name}`);
    const dataStart =
      localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const raw = zip.subarray(dataStart, dataStart + compressedSize);
    let data: Buffer;
    if (method === STORED) data = Buffer.from(raw);
    else if (method === DEFLATED) data = inflate(name, raw);
    else throw new Error(`${name}: unsupported zip compression method ${method}`);
    if (data.length !== size || crc32(data) !== expectedCrc)
      throw new Error(`${name}: corrupt zip entry (size or CRC mismatch)`);
    files.set(name.replace(/^\.\//, ""), data);
  }
  return files;
}
