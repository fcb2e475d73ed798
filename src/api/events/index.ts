export { DBResync } from './dbResync';
export { KubeStateChange } from './kubeStateChange';
export { ExternalConfigChange } from './externalConfigChange';
export { ExternalConfigResync } from './externalConfigResync';
export { HealingResync } from './healingResync';
export { Shutdown } from './shutdown';
export { VerificationResync } from './verificationResync';
export { CustomUpdateEvent, type CustomUpdateEventOptions } from './customUpdateEvent';
