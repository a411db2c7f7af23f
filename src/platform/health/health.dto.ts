export class CheckDto {
  ok!: boolean;
  latency_ms?: number;
}

export class HealthChecksDto {
  db!: CheckDto;
  redis?: CheckDto;
}

export class HealthDto {
  status!: 'ok';
  checks!: HealthChecksDto;
}

export class ReadyDto {
  status!: 'ready';
}
