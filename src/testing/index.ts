export { ConformanceError } from './assert.js';
export { runStoreConformance, type StoreConformanceOptions } from './conformance.js';
