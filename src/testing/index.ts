export { runStoreConformance, type StoreConformanceOptions } from './conformance.js';
export { ConformanceError } from './kit.js';
