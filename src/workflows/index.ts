// The workflow bundle's entry point: every workflow the worker runs is exported here.
export { deployApplications } from './deploy';
export { promoteRelease, releaseManifest } from './promote';
