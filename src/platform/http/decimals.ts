import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * A finite number with at most `places` decimals. class-validator's
 * `IsNumber({ maxDecimalPlaces })` throws on numbers printed in exponent form (2e-323), a 500.
 */
export const IsDecimal = (places: number, options?: ValidationOptions) =>
  ValidateBy(
    {
      name: 'isDecimal',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'number' || !Number.isFinite(value)) return false;
          const scaled = value * 10 ** places;
          return Math.abs(scaled - Math.round(scaled)) < 1e-6;
        },
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be a number with at most ${places} decimals`,
      },
    },
    options,
  );
