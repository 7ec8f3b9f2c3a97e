// The two IPC channel names between preload and main: one invoke channel for every API call (the API channel
// name travels as an argument and main validates it), one push channel for events. Nothing else crosses.
export const INVOKE_CHANNEL = 'custodian:invoke';
export const EVENT_CHANNEL = 'custodian:event';
