import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoundedLog, FFMPEG_PATH, isDecodeFailure, MediaError, runFfmpeg, sniffSourceFormat } from './ffmpeg';

describe('ffmpeg helpers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ffmpeg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, bytes: Buffer | string) => {
    const p = join(dir, name);
    writeFileSync(p, bytes);
    return p;
  };

  it('uses the binary shipped in the npm package', () => {
    expect(existsSync(FFMPEG_PATH)).toBe(true);
  });

  it('names the demuxer from the first bytes, never from the file name', async () => {
    const id3 = Buffer.concat([
      Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x05', 'latin1'),
      Buffer.alloc(5),
      Buffer.from('fLaC'),
    ]);
    const cases: [string, Buffer | string, string | null][] = [
      ['a.mp3', 'RIFF\x00\x00\x00\x00WAVEfmt ', 'wav'],
      ['b', 'RF64\xff\xff\xff\xffWAVEds64', 'wav'],
      ['c.wav', 'FORM\x00\x00\x00\x00AIFFCOMM', 'aiff'],
      ['d', 'FORM\x00\x00\x00\x00AIFCFVER', 'aiff'],
      ['e.txt', 'fLaC\x00\x00\x00\x22', 'flac'],
      ['f.flac', id3, 'flac'],
      [
        'g.wav',
        Buffer.concat([
          Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00', 'latin1'),
          Buffer.from('\xff\xfb\x90\x00', 'latin1'),
        ]),
        null,
      ],
      ['h.wav', 'RIFF\x00\x00\x00\x00AVI LIST', null],
      ['i.wav', '#EXTM3U\nhttp://example.invalid/x\n', null],
      ['j.wav', 'RI', null],
    ];
    for (const [name, bytes, format] of cases) {
      expect([
        name,
        await sniffSourceFormat(file(name, typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes)),
      ]).toEqual([name, format]);
    }
  });

  it('tells a broken input from its own failures', () => {
    expect(isDecodeFailure('x.wav: Invalid data found when processing input')).toBe(true);
    expect(
      isDecodeFailure("Stream specifier ':a' in filtergraph description [0:a]asplit matches no streams."),
    ).toBe(true);
    expect(isDecodeFailure('/out/x.m4a: No such file or directory')).toBe(false);
  });

  it('keeps the start and the end of a long log', () => {
    const log = new BoundedLog(10);
    log.add('0123456789abc');
    for (let i = 0; i < 100; i++) log.add('x');
    log.add('THE END');
    expect(log.text()).toBe('0123456789\n[…]\nxxxTHE END');
    expect(log.last(7)).toBe('THE END');
  });

  it('streams stdout, reports the exit code, and runs ffmpeg at a lower priority', async () => {
    let bytes = 0;
    let nice: number | undefined;
    const run = await runFfmpeg(
      ['-f', 'lavfi', '-i', 'anullsrc=r=8000:cl=mono', '-t', '2', '-f', 's16le', 'pipe:1'],
      {
        onStdout: (chunk) => {
          bytes += chunk.length;
          if (nice === undefined) {
            // Linux: this thread's children, ffmpeg among them
            const kids = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8')
              .trim()
              .split(/\s+/);
            const ffmpeg = kids.find((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'ffmpeg');
            nice = getPriority(Number(ffmpeg));
          }
        },
      },
    );
    expect(run.code).toBe(0);
    expect(bytes).toBe(2 * 8000 * 2);
    expect(nice).toBe(10);
    expect((await runFfmpeg(['-f', 'wav', '-i', join(dir, 'missing.wav'), '-f', 'null', '-'])).code).not.toBe(
      0,
    );
  });

  it('kills ffmpeg when the stdout consumer throws, and rejects with that error', async () => {
    const started = Date.now();
    const failing = runFfmpeg(['-re', '-f', 'lavfi', '-i', 'anullsrc', '-t', '60', '-f', 's16le', 'pipe:1'], {
      onStdout: () => {
        throw new Error('consumer gave up');
      },
    });
    await expect(failing).rejects.toThrow('consumer gave up');
    expect(Date.now() - started).toBeLessThan(30_000); // not the 60 s it would play for
  });

  it('refuses to start when already aborted', async () => {
    const error = await runFfmpeg(['-version'], { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MediaError);
    expect((error as MediaError).kind).toBe('aborted');
  });
});
