import type { Config } from '../config';
import { probeChroma, probeMongo, probeOllama, probeTemporal } from '../stack/health';
import type { HealthCheck } from './server';

/** One check per external dependency, as GET /health reports them. */
export function dependencyChecks(config: Config): Record<string, HealthCheck> {
  return {
    temporal: () => probeTemporal(config.temporalAddress, { namespace: config.temporalNamespace }),
    mongodb: () => probeMongo(config.mongodbUri),
    chroma: () => probeChroma(config.chromaUrl),
    ollama: async () => {
      const version = await probeOllama(config.ollamaHost, { model: config.ollamaModel });
      return `model ${config.ollamaModel} on Ollama ${version}`;
    },
  };
}
