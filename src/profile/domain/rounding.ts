/**
 * Rounds to 2 decimals (about 1 km), half away from zero, so a public
 * position never reveals more than that and +x and -x round alike.
 * The shift goes through the decimal string because 1.005 * 100 is
 * 100.49999999999999 in binary floating point.
 */
export function roundTo2Decimals(value: number): number {
  if (!Number.isFinite(value)) return value;
  const magnitude = Math.abs(value);
  const shifted = Number(`${magnitude}e2`);
  // Tiny magnitudes print in exponent form ("1e-7"), which the shift cannot extend.
  const rounded = Number.isFinite(shifted) ? Math.round(shifted) / 100 : Math.round(magnitude * 100) / 100;
  const result = Math.sign(value) * rounded;
  return result === 0 ? 0 : result;
}
