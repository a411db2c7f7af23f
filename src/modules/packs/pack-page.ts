/**
 * The public page of a pack link, served by the app: it asks for the access code when the link
 * has one (the code goes in X-Access-Code on every call, never in the URL), lists the tracks with
 * an `<audio>` element on each track's signed anonymous stream and its waveform drawn from the
 * peaks, and reports plays for the link's analytics. It loads nothing from anywhere else: the
 * same Content-Security-Policy as the track page (listening/player-page.ts).
 */
export { PLAYER_CSP as PACK_PAGE_CSP } from '../listening/player-page';

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

export function packPage(slug: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Beat pack</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
  canvas { width: 100%; height: 80px; background: #f4f4f6; display: block; margin: .5rem 0; }
  audio { width: 100%; }
  li { list-style: none; margin: 1.5rem 0; }
</style>
</head>
<body data-slug="${escapeHtml(slug)}">
<h1 id="name">Beat pack</h1>
<p id="status" aria-live="polite"></p>
<form id="code-form" hidden>
  <label for="code">Access code</label>
  <input id="code" name="code" type="password" autocomplete="off" required>
  <button id="unlock" type="submit">Open</button>
</form>
<ol id="tracks"></ol>
<script src="/api/v1/pack-page.js"></script>
</body>
</html>
`;
}

/** The page's script (GET /pack-page.js). */
export const PACK_PAGE_SCRIPT = `(() => {
  const slug = document.body.dataset.slug;
  const base = '/api/v1/pack-links/' + encodeURIComponent(slug);
  const form = document.getElementById('code-form');
  const status = document.getElementById('status');
  const list = document.getElementById('tracks');
  let code = '';
  const headers = (extra) => Object.assign(code ? { 'X-Access-Code': code } : {}, extra || {});
  const local = (url) => { const u = new URL(url, location.href); return u.pathname + u.search; };
  const draw = (canvas, peaks, progress) => {
    const g = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height, mid = h / 2;
    g.clearRect(0, 0, w, h);
    for (let x = 0; x < peaks.length; x++) {
      const min = peaks.data[2 * x], max = peaks.data[2 * x + 1];
      g.fillStyle = x / peaks.length < progress ? '#5b3cc4' : '#9a9aa8';
      g.fillRect((x * w) / peaks.length, mid - (max / 128) * mid, Math.max(1, w / peaks.length), Math.max(1, ((max - min) / 128) * mid));
    }
  };
  const report = (track, audio) => {
    const played = Math.floor(audio.currentTime);
    fetch(base + '/tracks/' + encodeURIComponent(track.id) + '/plays', {
      method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ played_seconds: played }),
    }).catch(() => undefined);
  };
  const render = (pack) => {
    document.getElementById('name').textContent = pack.name;
    document.title = pack.name;
    form.hidden = true;
    status.textContent = pack.tracks.length + ' tracks';
    list.textContent = '';
    for (const track of pack.tracks) {
      const li = document.createElement('li');
      li.dataset.track = track.id;
      const title = document.createElement('h2');
      title.textContent = track.title;
      const canvas = document.createElement('canvas');
      canvas.width = 800; canvas.height = 80;
      const audio = document.createElement('audio');
      audio.controls = true; audio.preload = 'metadata'; audio.src = local(track.stream.url);
      const play = document.createElement('button');
      play.type = 'button'; play.textContent = 'Play ' + track.title; play.className = 'play';
      play.addEventListener('click', () => { audio.play(); });
      if (track.peaks) { draw(canvas, track.peaks, 0); canvas.dataset.peaks = 'drawn'; }
      else canvas.dataset.peaks = 'missing';
      audio.addEventListener('timeupdate', () => {
        if (track.peaks && audio.duration) draw(canvas, track.peaks, audio.currentTime / audio.duration);
      });
      audio.addEventListener('pause', () => report(track, audio));
      li.append(title, canvas, audio, play);
      list.append(li);
    }
  };
  const load = () =>
    fetch(base, { headers: headers() })
      .then((r) => r.json().then((body) => ({ ok: r.ok, body })))
      .then(({ ok, body }) => {
        if (ok) return render(body);
        status.textContent = body.message;
        if (body.code === 'access_code_required' || body.code === 'access_code_invalid') form.hidden = false;
      })
      .catch(() => { status.textContent = 'The pack could not be loaded.'; });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    code = document.getElementById('code').value;
    load();
  });
  load();
})();
`;
