import { roundTo2Decimals } from "../../../src/profile/domain/rounding";

describe("roundTo2Decimals", () => {
  it.each([
    [48.858372, 48.86],
    [2.294481, 2.29],
    [-33.856784, -33.86],
    [-151.215297, -151.22],
    // Half-way cases round away from zero, on both sides, despite binary floating point.
    [1.005, 1.01],
    [-1.005, -1.01],
    [0.125, 0.13],
    [-0.125, -0.13],
    [1.234999, 1.23],
    [-1.234999, -1.23],
    // Limits stay limits.
    [90, 90],
    [-90, -90],
    [180, 180],
    [-180, -180],
    [89.999, 90],
    [-179.999, -180],
    [179.994, 179.99],
    // Tiny values (exponent notation when printed) become zero, never -0.
    [1e-7, 0],
    [-1e-7, 0],
    [-0.004, 0],
    [0.005, 0.01],
    [-0.005, -0.01],
    [0, 0],
    [-0, 0],
    [12, 12],
    [12.3, 12.3],
  ])("%p -> %p", (input, expected) => {
    expect(Object.is(roundTo2Decimals(input), expected)).toBe(true);
  });

  it("never keeps more than two decimals", () => {
    expect.hasAssertions();
    for (let i = 0; i < 2000; i += 1) {
      const value = (Math.random() - 0.5) * 360;
      const rounded = roundTo2Decimals(value);
      expect(Math.abs(rounded - value)).toBeLessThanOrEqual(0.005 + 1e-9);
      expect(String(rounded)).toMatch(/^-?\d+(\.\d{1,2})?$/);
    }
  });
});
