/**
 * A small track page served by the app: an `<audio>` element on GET /tracks/:id/stream (which
 * answers 302 to the signed media URL; the browser then seeks by byte range) and the waveform
 * drawn from GET /tracks/:id/peaks. It needs no account (public tracks) and loads nothing from
 * anywhere else: its policy allows only this origin's script, media and JSON.
 */
export const PLAYER_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; media-src 'self'; " +
  "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const escapeHtml = (s: string): string =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

export function playerPage(track: { id: string; title: string }): string {
  const id = escapeHtml(track.id);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(track.title)}</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; }
  canvas { width: 100%; height: 120px; background: #f4f4f6; display: block; margin: 1rem 0; }
  audio { width: 100%; }
</style>
</head>
<body data-track="${id}">
<h1>${escapeHtml(track.title)}</h1>
<canvas id="waveform" width="800" height="120" aria-label="Waveform"></canvas>
<audio id="player" controls preload="metadata" src="/api/v1/tracks/${id}/stream"></audio>
<p><button id="play" type="button">Play</button> <span id="rendition" aria-live="polite"></span></p>
<script src="/api/v1/player.js"></script>
</body>
</html>
`;
}

/** The page's script: draws the peaks (min/max pairs, 8 bits) and plays on a click. */
export const PLAYER_SCRIPT = `(() => {
  const id = document.body.dataset.track;
  const canvas = document.getElementById('waveform');
  const audio = document.getElementById('player');
  const draw = (peaks, progress) => {
    const g = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height, mid = h / 2;
    g.clearRect(0, 0, w, h);
    for (let x = 0; x < peaks.length; x++) {
      const min = peaks.data[2 * x], max = peaks.data[2 * x + 1];
      g.fillStyle = x / peaks.length < progress ? '#5b3cc4' : '#9a9aa8';
      g.fillRect(x, mid - (max / 128) * mid, 1, Math.max(1, ((max - min) / 128) * mid));
    }
  };
  let peaks = null;
  fetch('/api/v1/tracks/' + encodeURIComponent(id) + '/peaks?pixels=' + canvas.width)
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error('peaks ' + r.status))))
    .then((p) => { peaks = p; draw(p, 0); canvas.dataset.peaks = 'drawn'; })
    .catch(() => { canvas.dataset.peaks = 'missing'; });
  fetch('/api/v1/tracks/' + encodeURIComponent(id) + '/stream', { headers: { Accept: 'application/json' } })
    .then((r) => (r.ok ? r.json() : Promise.reject(new Error('stream ' + r.status))))
    .then((link) => { document.getElementById('rendition').textContent = link.rendition; })
    .catch(() => undefined);
  audio.addEventListener('timeupdate', () => {
    if (peaks && audio.duration) draw(peaks, audio.currentTime / audio.duration);
  });
  document.getElementById('play').addEventListener('click', () => { audio.play(); });
})();
`;
