/**
 * The agent process and what it is made of (`contiv-controller-ts/agent`): startAgent, its
 * configuration, the REST API (fastify), Prometheus metrics (prom-client), the pretty log
 * stream, the Stately inspector and the dashboard plugin.
 */
export { startAgent, type StartAgentOptions, type RunningAgent } from './agentProcess';
export { loadAgentConfig, explainAgentConfig, AgentConfigError, type AgentConfig, type AgentConfigSources, type EffectiveSetting, type TlsFiles } from './config';
export {
  AGENT_SETTINGS,
  DEFAULT_AGENT_LABEL,
  DEFAULT_DATA_DIR,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  DEFAULT_SOUTHBOUND_ADDRESS,
  ENV_PREFIX,
  CONFIG_FILE_ENV,
  LOG_LEVELS,
  envNameOf,
  flagNameOf,
  type LogLevel,
  type SettingSpec,
} from './settings';
export { TlsFileError, loadTlsMaterial, type TlsMaterial } from '../tlsFiles';
export { ControllerMetrics, DEFAULT_METRICS_PREFIX, type ControllerMetricsOptions } from './metrics';
export { startRestServer, DEFAULT_REST_HOST, DEFAULT_REST_PORT, type RestServer, type RestServerOptions } from './rest/server';
export { RestServerError, RestPortInUseError, RestAddressUnavailableError, InvalidRequestParameterError } from './rest/errors';
export { createAgentLogger, type AgentLoggerOptions } from './logging';
export { PrettyLogStream, type PrettyLogOptions } from './prettyLog';
export { startInspector, InspectorError, DEFAULT_INSPECTOR_PORT, type InspectorOptions, type RunningInspector } from './inspector';
export { dashboardPlugin, type DashboardOptions } from './dashboard/plugin';
export { packageVersion } from './packageVersion';
