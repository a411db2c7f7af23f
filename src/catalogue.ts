import { AccessErrors } from './platform/access/access.errors';
import type { ErrorDefinition } from './platform/errors/app-error';
import { GeneralErrors } from './platform/errors/general.errors';
import { IdempotencyErrors } from './platform/idempotency/idempotency.errors';
import { AccountsErrors } from './modules/accounts/accounts.errors';
import { ArtistsErrors } from './modules/artists/artists.errors';
import { AdminErrors } from './modules/admin/admin.errors';
import { AuthErrors } from './modules/auth/auth.errors';
import { BillingErrors } from './modules/billing/billing.errors';
import { TracksErrors } from './modules/tracks/tracks.errors';
import { LicenseErrors, PurchaseErrors, RefundErrors } from './modules/licensing/licensing.errors';
import { EarningsErrors } from './modules/earnings/earnings.errors';
import { StripeWebhookErrors } from './modules/stripe-webhooks/stripe-webhooks.errors';
import { PaymentErrors } from './platform/payments/payments.errors';
import { BeatRequestErrors, SubmissionErrors } from './modules/beat-requests/beat-requests.errors';
import { BackstageErrors } from './modules/backstage/backstage.errors';
import { LibraryErrors } from './modules/library/library.errors';
import { CollaborationErrors, PlaylistErrors } from './modules/playlists/playlists.errors';
import { SocialErrors } from './modules/social/social.errors';
import { MessagingErrors } from './modules/messaging/messaging.errors';
import { BlockErrors } from './modules/social/blocks.errors';
import { RadioErrors } from './modules/radio/radio.errors';
import { ListeningErrors } from './modules/listening/listening.errors';
import { PackErrors } from './modules/packs/packs.errors';
import { SplitSheetErrors } from './modules/split-sheets/split-sheets.errors';

/**
 * The error catalogue: every code the API answers, gathered from the modules that raise them.
 * GET /errors and the OpenAPI error responses are generated from this list; the exception filter
 * reads each error's own definition.
 */
export const CATALOGUE: readonly ErrorDefinition[] = (() => {
  // the block refusals are social's, listed with messaging's codes after recipient_not_found (module
  // "messaging" in the published catalogue)
  const { recipientNotFound, ...messaging } = MessagingErrors;
  const all = [
    GeneralErrors,
    IdempotencyErrors,
    AccessErrors,
    AuthErrors,
    AdminErrors,
    AccountsErrors,
    BillingErrors,
    TracksErrors,
    ArtistsErrors,
    PurchaseErrors,
    PaymentErrors,
    StripeWebhookErrors,
    LicenseErrors,
    BeatRequestErrors,
    SubmissionErrors,
    BackstageErrors,
    LibraryErrors,
    PlaylistErrors,
    CollaborationErrors,
    SocialErrors,
    { recipientNotFound },
    BlockErrors,
    messaging,
    RadioErrors,
    ListeningErrors,
    EarningsErrors,
    RefundErrors,
    PackErrors,
    SplitSheetErrors,
  ].flatMap((set) => Object.values(set) as ErrorDefinition[]);
  const seen = new Set<string>();
  for (const e of all) {
    if (seen.has(e.code)) throw new Error(`error code ${e.code} is declared twice`);
    seen.add(e.code);
  }
  return all;
})();
