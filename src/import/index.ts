/**
 * HAR import: audit a browser's saved network log with the same classification as the proxy.
 */
export { importHar, HarImportError, IMPORT_REASON, type ImportOptions, type ImportSummary } from './importer.js';
export { HarScanner, HarSyntaxError, STRING_CAP, ENTRY_CAP, type RawEntry } from './har-scanner.js';
export { readHarEntry, toObservation, isNavigation, errorKindOf, HarEntryError, type HarRequest } from './har-entry.js';
export { createProgressBar, progressLine } from './progress.js';
