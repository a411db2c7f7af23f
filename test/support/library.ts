import type { TestApp } from './test-app';
import type { TestUser } from './users';

let n = 0;

/** An external-link track (visible to everyone at once, no processing). */
export async function linkTrack(t: TestApp, owner: TestUser, title = `Link ${++n}`): Promise<string> {
  const res = await t.http
    .post('/api/v1/tracks')
    .set(owner.auth)
    .send({
      title,
      bpm: 120,
      genre: 'trap',
      external_url: `https://soundcloud.com/p/link-${n}-${Date.now()}`,
    })
    .expect(201);
  return res.body.id as string;
}

export async function linkTracks(t: TestApp, owner: TestUser, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await linkTrack(t, owner));
  return ids;
}
