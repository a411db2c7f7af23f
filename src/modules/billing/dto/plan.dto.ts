export class PlanDto {
  id!: string;
  name!: string;
  price_cents!: number;
  currency!: string;
  request_tokens_per_month!: number;
  /** null: unlimited */
  radio_skips_per_hour!: number | null;
}

export class PlanListDto {
  data!: PlanDto[];
}
