/**
 * The testing kit (`contiv-controller-ts/testing`): run your handlers on the real controller with
 * a fake southbound and simulated time, feed it Kubernetes objects and external config as plain
 * objects, and assert on the applied state and the event history (docs/writing-handlers.md,
 * "Test your handler"). It opens no socket and no file.
 */
export { createTestController, type TestController, type TestControllerOptions } from './testController';
export { FakeSouthbound } from './fakeSouthbound';
export { TestClock } from './testClock';
export { KubeStateFixture, ExternalConfigFixture, type ExternalConfigTypes, type KubeObject, type KubeObjects, type PlainObject } from './kubeState';
export { waitFor, type WaitForOptions } from './waitFor';
export { SettleTimeoutError, TestFixtureError, WaitTimeoutError } from './errors';
export { ResourceRegistry, type ExternalConfigModel, type ResourceDescriptor } from '../dbwatcher/registry';
