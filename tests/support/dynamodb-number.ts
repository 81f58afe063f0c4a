/**
 * DynamoDB numbers: up to 38 significant digits, magnitudes from 1e-130 to
 * just under 1e126, or 0; anything else is refused with a ValidationException
 * ("Number underflow", "Number overflow"), which a handler would answer 500.
 * The services normalise every number a request carries into this range
 * (location's normaliseCoordinate); in-memory stores in the tests refuse what
 * DynamoDB would, so a number that escaped normalising fails there too.
 * Doubles never need more than 17 digits, so only the magnitude can be out of range.
 */
const DYNAMODB_MIN_MAGNITUDE = 1e-130;
const DYNAMODB_MAX_MAGNITUDE_EXCLUSIVE = 1e126;

export function isStorableNumber(value: number): boolean {
  if (!Number.isFinite(value)) return false;
  const magnitude = Math.abs(value);
  return (
    magnitude === 0 || (magnitude >= DYNAMODB_MIN_MAGNITUDE && magnitude < DYNAMODB_MAX_MAGNITUDE_EXCLUSIVE)
  );
}
