import { IStageParam } from './types';

export type Value = IStageParam['value'];

/** The text typed into a parameter's field, read as the spec's type; an Error says what is
 * wrong. */
export function readParam(
  param: IStageParam,
  text: string | boolean
): Value | Error {
  const raw = String(text).trim();
  switch (param.type) {
    case 'bool':
      return Boolean(text);
    case 'int':
    case 'float': {
      const n = Number(raw);
      if (raw === '' || !Number.isFinite(n)) {
        return new Error(`"${raw}" is not a number`);
      }
      return param.type === 'int' && !Number.isInteger(n)
        ? new Error(`"${raw}" is not a whole number`)
        : n;
    }
    case 'list':
    case 'dict':
      try {
        const value = JSON.parse(raw);
        const ok = param.type === 'list' ? Array.isArray(value) : isDict(value);
        return ok ? value : new Error(`"${raw}" is not a JSON ${param.type}`);
      } catch {
        return new Error(`"${raw}" is not JSON`);
      }
    default:
      return raw;
  }
}

function isDict(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** How a spec value shows in its field. */
export function shown(param: IStageParam): string | boolean {
  if (param.type === 'bool') {
    return Boolean(param.value);
  }
  return param.type === 'list' || param.type === 'dict'
    ? JSON.stringify(param.value)
    : String(param.value ?? '');
}
