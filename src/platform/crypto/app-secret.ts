import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '../../config/config';
import { randomToken } from './secrets';

/**
 * The HMAC secret for access tokens and signed links: JWT_SECRET, or — for a single instance
 * with no configuration — one generated on first start and kept under DATA_DIR (several
 * instances must share JWT_SECRET).
 */
export abstract class AppSecret {
  abstract readonly value: string;
}

export function loadAppSecret(config: AppConfig): AppSecret {
  if (config.jwtSecret) return { value: config.jwtSecret };
  const file = join(config.dataDir, 'app-secret');
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    writeFileSync(file, randomToken(48), { mode: 0o600, flag: 'wx' });
  }
  return { value: readFileSync(file, 'utf8').trim() };
}
