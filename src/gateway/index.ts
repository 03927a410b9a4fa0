export { createGateway, DEFAULT_LIMITS, type Gateway, type GatewayCounters, type GatewayLimits, type GatewayOptions } from './gateway.js';
export { CLOSE } from './close-codes.js';
export { GatewaySecurityError, isLoopbackHost } from './security.js';
