import { Controller, Get, Inject, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { OPENSMS_METRICS_REGISTRY } from '@opensms/nestjs-webhooks/metrics';
import type { Registry } from 'prom-client';

/** `GET /metrics`: the registry of the webhook metrics in Prometheus text format, on either HTTP adapter. */
@Controller('metrics')
export class MetricsController {
  constructor(
    @Inject(OPENSMS_METRICS_REGISTRY) private readonly registry: Registry,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get()
  async scrape(@Res({ passthrough: true }) response: unknown): Promise<string> {
    const text = await this.registry.metrics();
    this.adapterHost.httpAdapter.setHeader(response, 'Content-Type', this.registry.contentType);
    this.adapterHost.httpAdapter.setHeader(response, 'Cache-Control', 'no-store');
    return text;
  }
}
