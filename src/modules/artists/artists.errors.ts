import { defineErrors } from '../../platform/errors/app-error';

/** Grouped under `tracks` in the catalogue, with the rest of the catalog's errors. */
export const ArtistsErrors = defineErrors('tracks', {
  artistNotFound: {
    code: 'artist_not_found',
    status: 404,
    message: 'Artist not found.',
    description: 'Unknown artist id or slug.',
  },
  slugTaken: {
    code: 'slug_taken',
    status: 409,
    message: 'Slug already taken.',
    description: 'Claiming an artist slug another artist already uses.',
  },
  artistAlreadyExists: {
    code: 'artist_already_exists',
    status: 409,
    message: 'You already have an artist profile.',
    description: 'Creating a second artist profile: each user has at most one.',
  },
});
