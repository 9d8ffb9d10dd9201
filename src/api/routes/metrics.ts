import type { AppServices } from '../../app.js'
import type { ApiApp } from '../server.js'

/**
 * GET /metrics in the Prometheus text format (docs/metrics.md). Platform-wide figures, so the route
 * needs `metrics:read`, which no wildcard implies and only the platform owner issues.
 */
export function registerMetricsRoutes(
  app: ApiApp,
  services: AppServices,
  // `moneta intake --processes N`: the figures of every process, gathered by the cluster's primary.
  text: () => Promise<string> = () => services.metrics.registry.metrics(),
): void {
  const { registry } = services.metrics
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics: HTTP, outbox, inboxes, ledger, decisions, lists, lockouts',
        tags: ['system'],
        produces: [registry.contentType],
      },
    },
    async (_req, reply) => {
      return reply.type(registry.contentType).send(await text())
    },
  )
}

/** Counts and times every response by its route template (not its URL: ids would explode the series). */
export function observeRequests(app: ApiApp, services: AppServices): void {
  const { httpRequests, httpDuration } = services.metrics
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched'
    httpRequests.inc({ method: req.method, route, status: String(reply.statusCode) })
    httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000)
    done()
  })
}
