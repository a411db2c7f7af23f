import type { LicenseType } from '@prisma/client';

export interface LicenseTerms {
  /** file formats delivered */
  files: string[];
  /** audio streams allowed; null: unlimited */
  streams: number | null;
  /** copies sold or distributed; null: unlimited */
  distribution_copies: number | null;
  music_videos: number | null;
  radio_broadcasting: boolean;
  for_profit_performances: boolean;
  /** the producer may keep selling the beat */
  non_exclusive: boolean;
  credit_required: string;
}

/** What each license type grants, as shown on its certificate. */
export const LICENSE_TERMS: Record<LicenseType, LicenseTerms> = {
  basic: {
    files: ['original upload'],
    streams: 50_000,
    distribution_copies: 2_500,
    music_videos: 1,
    radio_broadcasting: false,
    for_profit_performances: false,
    non_exclusive: true,
    credit_required: 'Prod. by <producer>',
  },
  premium: {
    files: ['original upload'],
    streams: 500_000,
    distribution_copies: 10_000,
    music_videos: 1,
    radio_broadcasting: true,
    for_profit_performances: true,
    non_exclusive: true,
    credit_required: 'Prod. by <producer>',
  },
  unlimited: {
    files: ['original upload'],
    streams: null,
    distribution_copies: null,
    music_videos: null,
    radio_broadcasting: true,
    for_profit_performances: true,
    non_exclusive: true,
    credit_required: 'Prod. by <producer>',
  },
  exclusive: {
    files: ['original upload'],
    streams: null,
    distribution_copies: null,
    music_videos: null,
    radio_broadcasting: true,
    for_profit_performances: true,
    non_exclusive: false,
    credit_required: 'Prod. by <producer>',
  },
};
