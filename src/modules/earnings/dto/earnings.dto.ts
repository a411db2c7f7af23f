import { IsIn, IsISO31661Alpha2, IsISO8601, IsOptional } from 'class-validator';

export class CreatePayoutAccountDto {
  /** ISO 3166-1 alpha-2 country of the producer's bank account, e.g. `US`; the first call's country is kept */
  @IsISO31661Alpha2()
  country!: string;
}

export class PayoutAccountStateDto {
  /** the Stripe connected account (Express); null before POST /me/payout-account */
  account_id!: string | null;
  country!: string | null;
  charges_enabled!: boolean;
  payouts_enabled!: boolean;
  /** true when transfers can be made to it now (transfers capability active, payouts enabled, not disabled) */
  transfers_ready!: boolean;
  /** Stripe's `requirements.currently_due`: what onboarding still needs */
  requirements_due!: string[];
  disabled_reason!: string | null;
}

export class PayoutAccountDto {
  account!: PayoutAccountStateDto;
  /** Stripe's onboarding (account link); short-lived, ask again for a fresh one */
  onboarding_url!: string;
}

export class BalanceDto {
  currency!: string;
  /** owed, still within LIMIT_EARNINGS_HOLD_DAYS or frozen by a dispute */
  pending!: number;
  /** owed and transferable now */
  available!: number;
  /** claimed by a transfer Stripe has not confirmed yet */
  in_transit!: number;
  /** transferred (less what was reversed) */
  paid!: number;
  /** shares of credits the collaborator has not accepted yet */
  held!: number;
  /** owed back (reversals Stripe refused), recovered from later earnings; ≤ 0 */
  negative!: number;
}

export class EarningsDto {
  data!: BalanceDto[];
  minimum_transfer_cents!: number;
}

export class EarningsEntryDto {
  id!: string;
  /** `sale` (a share of a sale) or `recovery` (a refused reversal owed back, negative) */
  kind!: string;
  /** held | pending | available | in_transit | paid | cancelled */
  state!: string;
  amount_cents!: number;
  currency!: string;
  share_bps!: number;
  sale_id!: string;
  track_id!: string;
  credited_user_id!: string;
  transfer_id!: string | null;
  reversal_id!: string | null;
  reversal_status!: string | null;
  recovers_entry_id!: string | null;
  frozen!: boolean;
  refunded!: boolean;
  available_at!: string;
  created_at!: string;
}

export class EarningsEntryPageDto {
  data!: EarningsEntryDto[];
  next_cursor!: string | null;
}

export class TransferDto {
  id!: string;
  currency!: string;
  amount_cents!: number;
  /** sent (Stripe made it), in_transit (Stripe's answer has not come; it is asked again with the same key), failed (refused: the money is available again) */
  status!: string;
}

export class TransferListDto {
  data!: TransferDto[];
}

export class SalesQueryDto {
  /** ISO 8601 instant, inclusive; default 30 days before `to` */
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  /** ISO 8601 instant, exclusive; default now */
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @IsOptional()
  @IsIn(['day', 'track', 'license_type'])
  group_by?: 'day' | 'track' | 'license_type';
}

export class SalesRowDto {
  /** the day (YYYY-MM-DD, UTC), track id or license type */
  key!: string;
  currency!: string;
  count!: number;
  gross_cents!: number;
  fee_cents!: number;
  net_cents!: number;
}

export class SalesDto {
  from!: string;
  to!: string;
  group_by!: string;
  data!: SalesRowDto[];
}

export class CreditDto {
  id!: string;
  track_id!: string;
  track_title!: string;
  owner_id!: string;
  role!: string;
  split_percent!: number;
  /** pending | accepted | declined */
  status!: string;
  created_at!: string;
  responded_at!: string | null;
}

export class CreditListDto {
  data!: CreditDto[];
}

export class HoldsDto {
  waiting_on_accounts!: { user_id: string; currency: string; amount_cents: number; reason: string }[];
  waiting_on_acceptance!: { user_id: string; track_id: string; currency: string; amount_cents: number }[];
  failed_transfers!: {
    id: string;
    user_id: string;
    currency: string;
    amount_cents: number;
    failure: string | null;
    at: string;
  }[];
  open_disputes!: {
    purchase_id: string;
    currency: string;
    amount_cents: number;
    frozen_cents: number;
    disputed_at: string;
  }[];
}
