import { IsString, Matches, MaxLength } from 'class-validator';
import { PlanDto } from './plan.dto';

export class SubscribeDto {
  /** plan id: classic, plus or pro */
  @IsString()
  @MaxLength(50)
  plan!: string;

  /** a Stripe PaymentMethod id (pm_…) */
  @IsString()
  @Matches(/^pm_[A-Za-z0-9_]+$/, { message: 'payment_method must be a Stripe PaymentMethod id (pm_…)' })
  @MaxLength(255)
  payment_method!: string;
}

export class SubscriptionDto {
  /** the plan in force (changes when Stripe confirms, through its webhook) */
  plan!: PlanDto;
  /** none | incomplete | active | past_due | canceled */
  status!: string;
  /** the plan a pending subscription (or switch) is for, until Stripe confirms it */
  pending_plan_id!: string | null;
  current_period_end!: string | null;
  /** true after DELETE /billing/subscription: the plan ends with the current period */
  cancel_at_period_end!: boolean;
}
