import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACCESS_METADATA, AccessPolicy, PRINCIPAL_PARAM_FACTORIES } from './access.decorator';

export interface RouteAccess {
  controller: string;
  handler: string;
  declared: boolean;
  policy?: AccessPolicy;
  /** the handler takes the caller as a parameter */
  readsPrincipal: boolean;
}

/**
 * Lists every route handler with its declared access; boot fails on any that has none, or that
 * reads the caller on a route declared anonymous.
 */
@Injectable()
export class AccessAudit implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  routes(): RouteAccess[] {
    const out: RouteAccess[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const instance = wrapper.instance as object | undefined;
      if (!instance || !wrapper.metatype) continue;
      const proto = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(proto)) {
        const handler = proto[name] as (...args: unknown[]) => unknown;
        if (Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_METADATA, [
          handler,
          wrapper.metatype,
        ]);
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, wrapper.metatype, name) ?? {}) as Record<
          string,
          { factory?: unknown }
        >;
        const readsPrincipal = Object.values(args).some((a) => PRINCIPAL_PARAM_FACTORIES.includes(a.factory));
        out.push({
          controller: wrapper.metatype.name,
          handler: name,
          declared: policy !== undefined,
          policy,
          readsPrincipal,
        });
      }
    }
    return out;
  }

  onApplicationBootstrap(): void {
    const missing = this.routes().filter((r) => !r.declared);
    if (missing.length) {
      throw new Error(
        `Routes without a declared @Access policy: ${missing.map((r) => `${r.controller}.${r.handler}`).join(', ')}`,
      );
    }
    // an anonymous route never identifies its caller: asking for it there would always get none
    const blind = this.routes().filter((r) => r.policy?.kind === 'anonymous' && r.readsPrincipal);
    if (blind.length) {
      throw new Error(
        `Routes declared Access.anonymous() read the caller (use Access.public({ scope })): ${blind.map((r) => `${r.controller}.${r.handler}`).join(', ')}`,
      );
    }
  }
}
