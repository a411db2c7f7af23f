import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateNested,
} from 'class-validator';

export class CompositionPartyDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  /** writer | composer | publisher (anything else: split_sheet_structural_validation_failed) */
  @IsString()
  @MaxLength(40)
  role!: string;

  /** the performing rights organisation (ASCAP, BMI, PRS…) */
  @IsOptional()
  @IsString()
  @MaxLength(100)
  pro?: string | null;

  /** Interested Party Information number: 9–11 digits */
  @IsOptional()
  @IsString()
  @MaxLength(40)
  ipi?: string | null;

  /** basis points (1–10,000); the group totals exactly 10,000 */
  @IsInt()
  share_bps!: number;
}

export class MasterPartyDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name!: string;

  /** basis points (1–10,000); the group totals exactly 10,000 */
  @IsInt()
  share_bps!: number;
}

export class PutSplitSheetDto {
  /** writers, composers and publishers of the composition */
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => CompositionPartyDto)
  composition!: CompositionPartyDto[];

  /** the owners of the master recording */
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => MasterPartyDto)
  master!: MasterPartyDto[];
}

export class SplitSheetPartyDto {
  name!: string;
  role!: string;
  pro!: string | null;
  ipi!: string | null;
  share_bps!: number;
}

export class SplitSheetMasterDto {
  name!: string;
  share_bps!: number;
}

export class SplitSheetDto {
  track_id!: string;
  /** also the `ETag`; send it as `If-Match` with PUT. 0: no split sheet yet (both groups empty) */
  version!: number;
  composition!: SplitSheetPartyDto[];
  master!: SplitSheetMasterDto[];
  /** null while there is no split sheet */
  updated_at!: string | null;
}

/** The split sheet a license froze when it was issued (shown on its certificate). */
export class FrozenSplitSheetDto {
  version!: number;
  composition!: SplitSheetPartyDto[];
  master!: SplitSheetMasterDto[];
  frozen_at!: string;
}
