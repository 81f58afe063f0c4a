import { randomBytes, scrypt } from "node:crypto";

/** The password KDF's work (N = 2^15, r = 8, p = 1): inherent to Register and Login, so in their floor too. */
export function scryptOnce(password: string): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password,
      randomBytes(16),
      32,
      { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}
