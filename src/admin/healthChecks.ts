import type { Config } from '../config';
import { probeChroma, probeHttp, probeMongo, probeTemporal } from '../stack/health';
import type { HealthCheck } from './server';

/** One check per external dependency, as GET /health reports them. */
export function dependencyChecks(config: Config): Record<string, HealthCheck> {
  return {
    temporal: () => probeTemporal(config.temporalAddress, { namespace: config.temporalNamespace }),
    mongodb: () => probeMongo(config.mongodbUri),
    chroma: () => probeChroma(config.chromaUrl),
    ollama: () => probeHttp(`${config.ollamaHost}/api/version`),
  };
}
