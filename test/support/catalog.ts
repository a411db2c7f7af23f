import type { Test } from 'supertest';
import { wav, piece } from './audio';
import type { TestApp } from './test-app';
import type { TestUser } from './users';

export interface UploadFields {
  title?: string;
  bpm?: string | number;
  genre?: string;
  key?: string;
  mood?: string;
  tags?: string;
}

const DEFAULT_FIELDS: UploadFields = { title: 'Night Drive', bpm: 92, genre: 'trap', tags: 'dark,808' };

/** A multipart upload: text fields first, then the file in `audio`. */
export function upload(
  t: TestApp,
  user: TestUser,
  audio: Buffer,
  fields: UploadFields = DEFAULT_FIELDS,
  filename = 'beat.wav',
): Test {
  let req = t.http.post('/api/v1/tracks').set(user.auth);
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) req = req.field(k, String(v));
  return req.attach('audio', audio, filename);
}

/** Uploads a generated piece and waits for its processing job; returns the ready track. */
export async function readyTrack(
  t: TestApp,
  user: TestUser,
  audio: Buffer = wav(piece(Math.floor(Math.random() * 1e6), 6)),
) {
  const res = await upload(t, user, audio).expect(201);
  await t.drain();
  const track = await t.http.get(`/api/v1/tracks/${res.body.id}`).set(user.auth).expect(200);
  if (track.body.processing_status !== 'ready')
    throw new Error(`track not ready: ${JSON.stringify(track.body)}`);
  return track.body as { id: string; processing_status: string; version: number };
}

export async function createArtist(t: TestApp, user: TestUser, slug: string, name = slug) {
  return (await t.http.post('/api/v1/artists').set(user.auth).send({ name, slug }).expect(201)).body as {
    id: string;
    slug: string;
  };
}
