/**
 * Coded domain errors. Each module declares its errors next to it with `defineErrors`; services
 * throw `AppError`s built from those definitions, never free-text HTTP exceptions. The global
 * filter turns them into the documented envelope, and the catalogue (GET /errors, OpenAPI) is
 * generated from the same definitions.
 */
export interface ErrorDefinition {
  readonly module: string;
  readonly code: string;
  readonly status: number;
  readonly message: string;
  /** when the error is raised: shown in GET /errors and in the OpenAPI document */
  readonly description: string;
}

type Spec = Omit<ErrorDefinition, 'module'>;

export function defineErrors<const T extends Record<string, Spec>>(
  module: string,
  specs: T,
): { readonly [K in keyof T]: ErrorDefinition & T[K] } {
  const out: Record<string, ErrorDefinition> = {};
  for (const [key, spec] of Object.entries(specs)) out[key] = Object.freeze({ module, ...spec });
  return Object.freeze(out) as { readonly [K in keyof T]: ErrorDefinition & T[K] };
}

export interface AppErrorDetails {
  /** validation failures: field path → messages */
  errors?: Record<string, string[]>;
  /** extra top-level members of the body (e.g. retry_after, current_price_cents) */
  context?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** overrides the default message, for messages that name a concrete limit */
  message?: string;
}

export class AppError extends Error {
  declare readonly definition: ErrorDefinition;
  declare readonly details: AppErrorDetails;

  constructor(definition: ErrorDefinition, details: AppErrorDetails = {}, options?: { cause?: unknown }) {
    super(details.message ?? definition.message, options);
    this.name = `AppError(${definition.code})`;
    // Not enumerable: a logger's error serializer walks enumerable members and tags every
    // error-like one (it has a `message`), which throws on the frozen definition.
    Object.defineProperty(this, 'definition', { value: definition, enumerable: false });
    Object.defineProperty(this, 'details', { value: details, enumerable: false });
  }

  get code(): string {
    return this.definition.code;
  }

  get status(): number {
    return this.definition.status;
  }
}

export function isAppError(e: unknown, def?: ErrorDefinition): e is AppError {
  return e instanceof AppError && (def === undefined || e.definition.code === def.code);
}
