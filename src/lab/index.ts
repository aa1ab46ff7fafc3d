/** The lab: a local fleet of real sshd hosts in network namespaces, for demos and integration tests. */
export type { GroupSpec, HostStatus, LabHostSpec, LabConfig, LabHost, LabOptions, LabState, LabStatus } from './types.js';
export { labUp, labDown, labStatus, type DownReport } from './lab.js';
export { stopSshd, startSshd, labSysctl, labExec, readOnlyProcSys, rebootHost, setLatency, clearLatency } from './faults.js';
export type { BootSysctl } from './host.js';
export { parseGroupSpec, resolveConfig } from './config.js';
export { defaultLabDir, loadState, requireState, findHost } from './state.js';
export { hostEndpoint, renderInventory } from './inventory.js';
export { sshArgv } from './ssh.js';
export { checkLabEnvironment } from './env.js';
export { waitForLabLock, prefixOwner } from './claim.js';
export { startHostExporter, stopHostExporter, labPull, startLabPrometheus, isLabAddress, TEXTFILE_DIR, type HostExporter, type LabPrometheus } from './pull.js';
export { addLoginUser, removeLoginUsers, addHiddenHosts, removeHiddenHosts, type LoginUser, type HiddenNet } from './shapes.js';
