import { Global, Module } from '@nestjs/common';
import { AppConfig } from '../../config/config';
import { LocalStorage } from './local-storage';
import { S3Storage } from './s3-storage';
import { StorageKeeper } from './storage-keeper';
import { StorageService } from './storage.service';

@Global()
@Module({
  providers: [
    {
      provide: StorageService,
      // STORAGE_URL=s3://… → S3; otherwise the local directory
      useFactory: (config: AppConfig) => (config.s3 ? new S3Storage(config) : new LocalStorage(config)),
      inject: [AppConfig],
    },
    StorageKeeper,
  ],
  exports: [StorageService, StorageKeeper],
})
export class StorageModule {}
