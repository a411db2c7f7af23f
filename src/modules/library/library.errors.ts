import { defineErrors } from '../../platform/errors/app-error';

export const LibraryErrors = defineErrors('library', {
  libraryFull: {
    code: 'library_full',
    status: 429,
    message: 'Maximum saved items reached.',
    description:
      'Saving beyond the library limit (10,000, LIMIT_LIBRARY_ITEMS); holds under concurrent saves (one user’s saves take turns on an advisory lock and count under it).',
  },
  trackAlreadySaved: {
    code: 'track_already_saved',
    status: 409,
    message: 'Track already in library.',
    description: 'Saving a track that is already saved (checked before library_full).',
  },
});
