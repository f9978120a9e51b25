export { BoundedValues, MAX_VALUE_LENGTH, OTHER } from './attributes.js';
export { type Instruments, METRIC } from './instruments.js';
export { defaultTelemetryOptions, resolveTelemetryOptions, type TelemetryOptions } from './options.js';
export { DECISION_EVENT, SPAN } from './spans.js';
export { RampartTelemetry, rampartTelemetry } from './telemetry.js';
