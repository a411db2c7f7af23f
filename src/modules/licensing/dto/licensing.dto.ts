import { Type } from 'class-transformer';
import {
  IsObject,
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { FrozenSplitSheetDto } from '../../split-sheets/dto/split-sheet.dto';

export const LICENSE_TYPES = ['basic', 'premium', 'unlimited', 'exclusive'] as const;
export type LicenseTypeName = (typeof LICENSE_TYPES)[number];
export const CURRENCIES = ['usd', 'eur', 'gbp', 'cad'] as const;

export class OfferInputDto {
  @IsIn(LICENSE_TYPES)
  type!: LicenseTypeName;

  /** integer cents, at least 100 */
  @IsInt()
  @Min(100)
  @Max(100_000_000)
  price_cents!: number;

  @IsIn(CURRENCIES)
  currency!: (typeof CURRENCIES)[number];
}

export class SetOffersDto {
  /** the whole set: types left out are no longer for sale */
  @IsArray()
  @ArrayMaxSize(4)
  @ArrayUnique((o: OfferInputDto) => o.type, { message: 'each license type may appear once' })
  @IsObject({ each: true, message: 'each item must be an object' })
  @ValidateNested({ each: true })
  @Type(() => OfferInputDto)
  offers!: OfferInputDto[];
}

export class OfferDto {
  type!: LicenseTypeName;
  price_cents!: number;
  currency!: string;
  /** the price the buyer pays: price + platform fee */
  total_cents!: number;
}

export class OfferSetDto {
  track_id!: string;
  offers!: OfferDto[];
  /** also the `ETag`; send it as `If-Match` with PUT */
  version!: number;
}

export class CreatePurchaseDto {
  @IsString()
  @MaxLength(40)
  track_id!: string;

  @IsIn(LICENSE_TYPES)
  license_type!: LicenseTypeName;

  /** the price the buyer saw (without the fee); a different current price is price_changed */
  @IsInt()
  @Min(0)
  expected_price_cents!: number;
}

export class ConfirmPurchaseDto {
  /** a Stripe PaymentMethod id, e.g. pm_card_visa in test mode */
  @IsString()
  @Matches(/^pm_[A-Za-z0-9_]+$/, { message: 'payment_method must be a Stripe PaymentMethod id (pm_…)' })
  @MaxLength(255)
  payment_method!: string;
}

export class PurchaseDto {
  id!: string;
  track_id!: string;
  license_type!: LicenseTypeName;
  /** requires_payment → succeeded (license issued) | refunding → refunded | expired */
  status!: string;
  price_cents!: number;
  platform_fee_cents!: number;
  amount_cents!: number;
  currency!: string;
  /** for Stripe.js, while payment is required */
  client_secret!: string | null;
  last_error!: string | null;
  license_id!: string | null;
  expires_at!: string;
  created_at!: string;
  /** when a refund was asked for (buyer or admin), null if never */
  refund_requested_at!: string | null;
  /** `open`, `won` or `lost` when the card holder disputed the payment, else null */
  dispute_status!: string | null;
}

export class AdminRefundDto {
  /** why (kept in the audit log) */
  @IsString()
  @MinLength(3)
  @MaxLength(500)
  reason!: string;
}

export class PurchaseListDto {
  data!: PurchaseDto[];
  next_cursor!: string | null;
}

export class LicenseTermsDto {
  files!: string[];
  streams!: number | null;
  distribution_copies!: number | null;
  music_videos!: number | null;
  radio_broadcasting!: boolean;
  for_profit_performances!: boolean;
  non_exclusive!: boolean;
  credit_required!: string;
}

export class LicenseDto {
  id!: string;
  certificate_number!: string;
  track_id!: string;
  track_title!: string;
  holder_id!: string;
  type!: LicenseTypeName;
  status!: 'active' | 'revoked';
  source!: string;
  price_cents!: number;
  currency!: string;
  terms!: LicenseTermsDto;
  issued_at!: string;
  revoked_at!: string | null;
}

export class LicenseListDto {
  data!: LicenseDto[];
  next_cursor!: string | null;
}

export class CertificateDto {
  certificate_number!: string;
  valid!: boolean;
  status!: 'active' | 'revoked';
  type!: LicenseTypeName;
  track_id!: string;
  track_title!: string;
  holder_name!: string;
  issued_at!: string;
  /** the track's split sheet in force when the license was issued (null: it had none) */
  split_sheet!: FrozenSplitSheetDto | null;
}

export class DownloadLinkDto {
  url!: string;
  expires_at!: string;
}

export class PlanDownloadDto {
  license!: LicenseDto;
  download!: DownloadLinkDto;
}

export class RevokeLicenseDto {
  @IsString()
  @MinLength(3)
  @MaxLength(1000)
  reason!: string;
}

export class DownloadQueryDto {
  @Type(() => Number)
  @IsInt()
  expires!: number;

  @IsString()
  @MaxLength(100)
  signature!: string;
}
