import { ArgumentMetadata, Injectable, ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError, ErrorDefinition } from '../errors/app-error';
import { GeneralErrors } from '../errors/general.errors';
import { hostileBodyError } from './hostile-input';

/** A response names at most this many fields: a hostile body must not produce a huge answer. */
const MAX_FIELD_ERRORS = 50;

/** Attach to a class-validator rule to answer with the rule's own catalogue code. */
export const errorCode = (definition: ErrorDefinition) => ({ context: { error: definition } });

function flatten(
  errors: ValidationError[],
  parent = '',
  out: Record<string, string[]> = {},
  codes: ErrorDefinition[] = [],
) {
  for (const e of errors) {
    if (Object.keys(out).length >= MAX_FIELD_ERRORS) break;
    const path = parent ? `${parent}.${e.property}` : e.property;
    if (e.constraints) out[path] = Object.values(e.constraints);
    for (const ctx of Object.values(e.contexts ?? {})) {
      const def = (ctx as { error?: ErrorDefinition } | undefined)?.error;
      if (def) codes.push(def);
    }
    if (e.children?.length) flatten(e.children, path, out, codes);
  }
  return { fields: out, codes };
}

/**
 * class-validator DTOs are the one source of request schemas. Failures become 422
 * validation_failed with the `errors` field map — or, when a failing rule carries a code of its
 * own (see `errorCode`), that code (the first such rule in declaration order). A body that is not
 * a JSON object where a DTO is expected is invalid_json.
 */
@Injectable()
export class AppValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transformOptions: { enableImplicitConversion: false },
      exceptionFactory: (errors: ValidationError[]) => {
        const { fields, codes } = flatten(errors);
        return new AppError(codes[0] ?? GeneralErrors.validationFailed, { errors: fields });
      },
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isDto = typeof metadata.metatype === 'function' && !this.isBuiltin(metadata.metatype);
    if (
      metadata.type === 'body' &&
      isDto &&
      (value === null || typeof value !== 'object' || Array.isArray(value))
    ) {
      throw new AppError(GeneralErrors.invalidJson);
    }
    if (metadata.type === 'body' && isDto) {
      // JSON bodies were checked by the parser; multipart fields arrive here (validateDto)
      const hostile = hostileBodyError(value);
      if (hostile) throw hostile;
    }
    if (metadata.type === 'query' && isDto && value === undefined) value = {};
    return super.transform(value, metadata);
  }

  private isBuiltin(metatype: unknown): boolean {
    return [String, Boolean, Number, Array, Object].includes(metatype as never);
  }
}

const pipe = new AppValidationPipe();

/**
 * Validates a plain object against a DTO class outside the request pipeline (e.g. the fields of a
 * multipart upload), with the same rules and error codes as @Body().
 */
export async function validateDto<T extends object>(dto: new () => T, value: unknown): Promise<T> {
  return (await pipe.transform(value, { type: 'body', metatype: dto })) as T;
}
