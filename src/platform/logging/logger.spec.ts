import { Writable } from 'node:stream';
import { createRootLogger, redactQueryCredentials } from './logger';

describe('redactQueryCredentials', () => {
  it('blanks the value of every credential-bearing query parameter', () => {
    expect(redactQueryCredentials('/api/v1/downloads/lic_1?expires=123&signature=abcDEF-_09')).toBe(
      '/api/v1/downloads/lic_1?expires=123&signature=[redacted]',
    );
    expect(redactQueryCredentials('https://app.test/verify-email?token=abc#top')).toBe(
      'https://app.test/verify-email?token=[redacted]#top',
    );
    expect(
      redactQueryCredentials(
        'http://minio:9000/b/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2026&X-Amz-Security-Token=zz&X-Amz-Signature=beef&X-Amz-SignedHeaders=host',
      ),
    ).toBe(
      'http://minio:9000/b/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[redacted]&X-Amz-Security-Token=[redacted]&X-Amz-Signature=[redacted]&X-Amz-SignedHeaders=host',
    );
    expect(redactQueryCredentials('/x?access_token=t&api_key=k&client_secret=s&SIG=x')).toBe(
      '/x?access_token=[redacted]&api_key=[redacted]&client_secret=[redacted]&SIG=[redacted]',
    );
  });

  it('leaves other parameters alone, and stops at the end of a JSON string', () => {
    expect(redactQueryCredentials('/a?cursor=abc&limit=2&monkey=3&keyword=x')).toBe(
      '/a?cursor=abc&limit=2&monkey=3&keyword=x',
    );
    expect(redactQueryCredentials('{"url":"/d?signature=abc","status":403}')).toBe(
      '{"url":"/d?signature=[redacted]","status":403}',
    );
  });

  it('applies to every line the root logger writes, whatever field or message holds the URL', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = createRootLogger('info', sink);
    log.info({ url: '/d/1?expires=1&signature=SECRET1' }, 'request completed');
    log.warn('Reply was already sent for "/d/1?signature=SECRET2"');
    log.child({ reqId: 'r' }).error({ err: new Error('bad /d?token=SECRET3') }, 'failed');
    expect(lines).toHaveLength(3);
    expect(lines.join('')).not.toMatch(/SECRET/);
    expect(lines.join('')).toMatch(/signature=\[redacted\]/);
  });
});
