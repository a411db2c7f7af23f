import { defineErrors } from '../../platform/errors/app-error';

/** The split sheet's code is in the published catalogue's module `packs` (issue 24), after the packs' own. */
export const SplitSheetErrors = defineErrors('packs', {
  splitSheetStructuralValidationFailed: {
    code: 'split_sheet_structural_validation_failed',
    status: 422,
    message: 'Split sheet is not valid.',
    description:
      'PUT /tracks/:id/split-sheet whose composition or master group does not total exactly 10,000 basis points, with a share outside 1–10,000, an unknown role (writer, composer or publisher), a malformed IPI (9–11 digits) or a duplicate party (in composition the same name, or the same IPI, twice in one role; in master the same name twice). `errors` names each problem by its path (`composition`, `composition[1].role`, `master[0].name`…).',
  },
});
